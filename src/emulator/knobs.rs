//! The emulator's runtime-adjustable behaviour: API key, latency, anchor delay, bulk
//! answer mode, and the injected faults (fail rate, outage, rate limit).
//!
//! Every knob can change while requests are in flight (reliability tests flip them);
//! each is read once per request, so a request sees one consistent value of each.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use crate::cli::BulkResponseMode;

/// Every bulk mode, in the order they are stored in the atomic.
const BULK_MODES: &[BulkResponseMode] = &[
    BulkResponseMode::Items,
    BulkResponseMode::Bare,
    BulkResponseMode::RejectBatch,
    BulkResponseMode::Strings,
    BulkResponseMode::BareArray,
    BulkResponseMode::OnlyRejected,
    BulkResponseMode::Shuffled,
    BulkResponseMode::NoDetail,
];

pub(crate) struct Knobs {
    api_key: RwLock<Arc<str>>,
    fail_rate_bits: AtomicU64,
    outage: AtomicBool,
    latency_ns: AtomicU64,
    anchor_delay_ns: AtomicU64,
    bulk_mode: AtomicU8,
    limiter: Mutex<Limiter>,
    /// Every API call answered with this status and `Location: <base><path>`.
    redirect: RwLock<Option<(u16, Arc<str>)>>,
}

/// A token bucket holding up to one second's worth of requests.
struct Limiter {
    rate: Option<u32>,
    tokens: f64,
    last: Instant,
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

impl Knobs {
    pub fn new(
        api_key: &str,
        fail_rate: f64,
        rate_limit: Option<u32>,
        latency: Duration,
        anchor_delay: Duration,
        bulk: BulkResponseMode,
    ) -> Knobs {
        let knobs = Knobs {
            api_key: RwLock::new(Arc::from(api_key)),
            fail_rate_bits: AtomicU64::new(0),
            outage: AtomicBool::new(false),
            latency_ns: AtomicU64::new(nanos(latency)),
            anchor_delay_ns: AtomicU64::new(nanos(anchor_delay)),
            bulk_mode: AtomicU8::new(0),
            limiter: Mutex::new(Limiter {
                rate: None,
                tokens: 0.0,
                last: Instant::now(),
            }),
            redirect: RwLock::new(None),
        };
        knobs.set_fail_rate(fail_rate);
        knobs.set_rate_limit(rate_limit);
        knobs.set_bulk_mode(bulk);
        knobs
    }

    pub fn key_matches(&self, given: &[u8]) -> bool {
        let key = self.api_key.read().unwrap_or_else(|p| p.into_inner());
        key.as_bytes() == given
    }

    pub fn set_api_key(&self, key: &str) {
        *self.api_key.write().unwrap_or_else(|p| p.into_inner()) = Arc::from(key);
    }

    /// Clamped to 0.0..=1.0; NaN counts as 0.
    pub fn set_fail_rate(&self, rate: f64) {
        let r = if rate.is_nan() {
            0.0
        } else {
            rate.clamp(0.0, 1.0)
        };
        self.fail_rate_bits.store(r.to_bits(), Ordering::Relaxed);
    }

    /// True for the fraction of calls that should get an injected 500.
    pub fn roll_failure(&self) -> bool {
        let rate = f64::from_bits(self.fail_rate_bits.load(Ordering::Relaxed));
        rate > 0.0 && fastrand::f64() < rate
    }

    pub fn set_outage(&self, on: bool) {
        self.outage.store(on, Ordering::Relaxed);
    }

    pub fn outage(&self) -> bool {
        self.outage.load(Ordering::Relaxed)
    }

    pub fn set_latency(&self, d: Duration) {
        self.latency_ns.store(nanos(d), Ordering::Relaxed);
    }

    pub fn latency(&self) -> Duration {
        Duration::from_nanos(self.latency_ns.load(Ordering::Relaxed))
    }

    pub fn set_anchor_delay(&self, d: Duration) {
        self.anchor_delay_ns.store(nanos(d), Ordering::Relaxed);
    }

    pub fn anchor_delay(&self) -> Duration {
        Duration::from_nanos(self.anchor_delay_ns.load(Ordering::Relaxed))
    }

    pub fn set_bulk_mode(&self, mode: BulkResponseMode) {
        let v = BULK_MODES.iter().position(|m| *m == mode).unwrap_or(0);
        self.bulk_mode.store(v as u8, Ordering::Relaxed);
    }

    pub fn bulk_mode(&self) -> BulkResponseMode {
        BULK_MODES
            .get(usize::from(self.bulk_mode.load(Ordering::Relaxed)))
            .copied()
            .unwrap_or_default()
    }

    /// `Some((status, base))`: answer every API call with a redirect to `base` + path.
    pub fn set_redirect(&self, to: Option<(u16, &str)>) {
        *self.redirect.write().unwrap_or_else(|p| p.into_inner()) =
            to.map(|(status, base)| (status, Arc::from(base.trim_end_matches('/'))));
    }

    pub fn redirect(&self) -> Option<(u16, Arc<str>)> {
        self.redirect
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// `None` turns the limit off; a new limit starts with a full bucket.
    pub fn set_rate_limit(&self, rate: Option<u32>) {
        let mut l = self.limiter.lock().unwrap_or_else(|p| p.into_inner());
        l.rate = rate.filter(|r| *r > 0);
        l.tokens = f64::from(l.rate.unwrap_or(0));
        l.last = Instant::now();
    }

    /// Take one request's token, or say how many whole seconds to wait (at least 1).
    pub fn take_token(&self) -> Result<(), u64> {
        let mut l = self.limiter.lock().unwrap_or_else(|p| p.into_inner());
        let Some(rate) = l.rate else {
            return Ok(());
        };
        let rate = f64::from(rate);
        let now = Instant::now();
        let refill = now.duration_since(l.last).as_secs_f64() * rate;
        l.tokens = (l.tokens + refill).min(rate);
        l.last = now;
        if l.tokens >= 1.0 {
            l.tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - l.tokens) / rate).ceil().max(1.0) as u64)
        }
    }
}
