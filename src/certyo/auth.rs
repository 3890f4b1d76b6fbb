//! The credentials' state shared by every delivery worker, the auth prober and
//! `/readyz`: open while Certyo accepts our key and tenant, closed after a 401/403.

use std::sync::atomic::{AtomicBool, Ordering};

/// Pauses every worker while Certyo refuses the credentials. Workers only read it;
/// a delivery answered 401/403 closes it, and the pool's auth prober re-reads the key
/// file and opens it again once a probe call is accepted.
#[derive(Debug, Default)]
pub struct AuthGate {
    failing: AtomicBool,
}

impl AuthGate {
    /// Mark the credentials refused. Returns true if they were fine until now.
    pub(crate) fn refuse(&self) -> bool {
        !self.failing.swap(true, Ordering::SeqCst)
    }

    /// Mark the credentials accepted. Returns true if they were refused until now.
    pub(crate) fn accept(&self) -> bool {
        self.failing.swap(false, Ordering::SeqCst)
    }

    /// True while Certyo refuses our key or tenant (for readiness checks).
    pub fn is_failing(&self) -> bool {
        self.failing.load(Ordering::SeqCst)
    }
}
