#!/usr/bin/env bash
# The whole test suite, on a fresh Debian machine or a developer's: makes sure MariaDB
# (127.0.0.1:3306) and MySQL 9.7 (127.0.0.1:3307) run, installing and starting them if
# needed, checks formatting and lints, then runs every test against each engine in turn.
#
# CERTYO_TEST_DATABASE_URL set: the suite runs once, against that server only.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v cargo >/dev/null 2>&1; then
  echo "test.sh: cargo not found; install Rust (https://rustup.rs) first" >&2
  exit 1
fi

if [ -n "${CERTYO_TEST_DATABASE_URL:-}" ]; then
  servers=("$CERTYO_TEST_DATABASE_URL")
else
  servers=("$(bash scripts/ensure-mariadb.sh)" "$(bash scripts/ensure-mysql.sh)")
fi

# Time zone tables on each server (the capture tests write from a daylight-saving zone).
for url in "${servers[@]}"; do
  bash scripts/ensure-time-zones.sh "$url"
done

# promtool/prometheus, systemd-analyze, kubernetes-validate for tests/deploy.rs and
# tests/monitoring.rs (installed once, reused after).
bash scripts/ensure-ops-tools.sh

# A test build takes about 2.5 GB under target/ (more with incremental files); say so
# up front rather than let a linker die of a full disk half-way (SIGBUS, "Bus error").
avail_kb="$(df -Pk . | awk 'NR == 2 { print $4 }')"
if [ -n "$avail_kb" ] && [ "$avail_kb" -lt 3000000 ]; then
  echo "test.sh: only $((avail_kb / 1024)) MB free here; a test build needs about 3 GB under target/ (cargo clean frees the old one)" >&2
fi

cargo fmt --all -- --check
cargo clippy --all-targets --locked -- -D warnings

results="$(mktemp)"
trap 'rm -f "$results"' EXIT
# Every test binary on every engine, even after a failure (--no-fail-fast), so one run
# shows every failing test; the exit status says whether any failed.
status=0
for url in "${servers[@]}"; do
  echo "test.sh: the whole suite on ${url%%:*}://…@${url##*@}" >&2
  CERTYO_TEST_DATABASE_URL="$url" cargo test --locked --no-fail-fast 2>&1 | tee -a "$results" || status=1
done
# One closing line over every engine's run (cargo's last line is the doc tests' own).
awk '/^test result:/ { p += $4; f += $6 } END { printf "total: %d passed, %d failed\n", p, f }' "$results"
exit "$status"
