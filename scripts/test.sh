#!/usr/bin/env bash
# The whole test suite, on a fresh Debian machine or a developer's: makes sure MariaDB
# runs (installing and starting it if needed), then checks formatting and lints and
# runs every test against it.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v cargo >/dev/null 2>&1; then
  echo "test.sh: cargo not found; install Rust (https://rustup.rs) first" >&2
  exit 1
fi

if [ -z "${CERTYO_TEST_DATABASE_URL:-}" ]; then
  CERTYO_TEST_DATABASE_URL="$(bash scripts/ensure-mariadb.sh)"
  export CERTYO_TEST_DATABASE_URL
fi
echo "test.sh: test databases on ${CERTYO_TEST_DATABASE_URL%%:*}://…@127.0.0.1:3306" >&2

cargo fmt --all -- --check
cargo clippy --all-targets --locked -- -D warnings
cargo test --locked
