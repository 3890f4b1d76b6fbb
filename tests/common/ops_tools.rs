//! The operator tools the deploy/ checks run: promtool and prometheus (Debian's
//! `prometheus` package), systemd-analyze (Debian's `systemd`), kubernetes-validate
//! (PyPI, in the virtualenv `scripts/ensure-ops-tools.sh` makes). A missing tool fails
//! the test with how to install it.

use std::path::{Path, PathBuf};

const HOW: &str = "run `bash scripts/ensure-ops-tools.sh` (it installs Debian's `prometheus` and \
`systemd` packages and kubernetes-validate from PyPI into ~/.cache/certyo-queue/ops-venv), \
or install them yourself: `apt-get install prometheus systemd`, `pip install kubernetes-validate`";

fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/usr/bin", "/usr/local/bin"].map(PathBuf::from))
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// A tool found on PATH (or /usr/bin, /usr/sbin); panics with how to install it.
pub fn tool(name: &str) -> PathBuf {
    on_path(name).unwrap_or_else(|| panic!("`{name}` not found: {HOW}"))
}

/// kubernetes-validate: $CERTYO_KUBERNETES_VALIDATE, the ensure script's virtualenv
/// ($CERTYO_OPS_VENV, default ~/.cache/certyo-queue/ops-venv), or PATH.
pub fn kubernetes_validate() -> PathBuf {
    if let Some(p) = std::env::var_os("CERTYO_KUBERNETES_VALIDATE") {
        return PathBuf::from(p);
    }
    let venv = std::env::var_os("CERTYO_OPS_VENV")
        .map(PathBuf::from)
        .or_else(|| {
            let cache = std::env::var_os("XDG_CACHE_HOME")
                .map(PathBuf::from)
                .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache")))?;
            Some(cache.join("certyo-queue/ops-venv"))
        });
    if let Some(p) = venv.map(|v| v.join("bin/kubernetes-validate")) {
        if p.is_file() {
            return p;
        }
    }
    tool("kubernetes-validate")
}

/// The repository's root.
pub fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}
