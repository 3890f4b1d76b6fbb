#!/usr/bin/env bash
# The soak test: ROWS (default 1,000,000) rows through two `certyo-queue work`
# processes (release build) while cleanup and verification run, against the local
# MariaDB and an in-process emulator. Prints worker memory (VmRSS) every 5 s and a
# summary line; fails if a row is lost, dead, or memory grows. Takes minutes: run it
# before a release, not on every CI run.
#   scripts/soak.sh            # 1,000,000 rows
#   scripts/soak.sh 200000     # a shorter run
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${CERTYO_TEST_DATABASE_URL:-}" ]; then
  CERTYO_TEST_DATABASE_URL="$(bash scripts/ensure-mariadb.sh)"
  export CERTYO_TEST_DATABASE_URL
fi
export CERTYO_SOAK_ROWS="${1:-1000000}"
exec cargo test --release --test reliability -- --ignored --nocapture --exact soak_a_million_rows_through_two_processes
