#!/usr/bin/env bash
# One-command local demo, on a fresh Debian machine or a developer's:
#   bash scripts/demo.sh
# Makes sure MariaDB runs (installing and starting it if needed), builds the release
# binary, creates the database certyo_demo with the integration guide's `products`
# table, starts the Certyo emulator (anchor delay 5 s) and `certyo-queue work`, makes
# inserts, updates and deletes, and shows them queued, delivered (Pending, with the
# record hash written back) and then Anchored. Stops everything it started on exit.
#
# Settings (environment): CERTYO_DEMO_DATABASE (certyo_demo), CERTYO_DEMO_EMULATOR_PORT
# (18080), CERTYO_DEMO_METRICS_PORT (19464).
set -euo pipefail
cd "$(dirname "$0")/.."

DB="${CERTYO_DEMO_DATABASE:-certyo_demo}"
EMU_PORT="${CERTYO_DEMO_EMULATOR_PORT:-18080}"
METRICS_PORT="${CERTYO_DEMO_METRICS_PORT:-19464}"
BIN=target/release/certyo-queue
LOGS="$(mktemp -d /tmp/certyo-demo.XXXXXX)"
PIDS=()

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
die() { echo "demo: $*" >&2; exit 1; }

stop_all() {
  local code=$?
  # Newest first: the worker drains before the emulator goes away.
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
    local pid="${PIDS[$i]}"
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  if [ ${#PIDS[@]} -gt 0 ]; then
    echo
    echo "demo: stopped the worker and the emulator. Logs: $LOGS"
    echo "demo: to clean up:  $(client_cmd) -e 'DROP DATABASE ${DB}'; rm -rf $LOGS"
  fi
  exit "$code"
}
trap stop_all EXIT
trap 'exit 130' INT TERM

command -v cargo >/dev/null 2>&1 || die "cargo not found; install Rust first (https://rustup.rs)"

say "MariaDB"
SERVER_URL="$(bash scripts/ensure-mariadb.sh)"
# mysql://user[:password]@host:port/
[[ "$SERVER_URL" =~ ^mysql://([^:@]+)(:([^@]*))?@([^:/]+):([0-9]+)/$ ]] ||
  die "unexpected server URL from ensure-mariadb.sh: ${SERVER_URL%%@*}@…"
DB_USER="${BASH_REMATCH[1]}"
DB_PASS="${BASH_REMATCH[3]}"
DB_HOST="${BASH_REMATCH[4]}"
DB_PORT="${BASH_REMATCH[5]}"
DATABASE_URL="${SERVER_URL}${DB}"
echo "using ${SERVER_URL%%://*}://${DB_USER}@${DB_HOST}:${DB_PORT}/${DB}"

client_cmd() {
  local c
  c="$(command -v mariadb || command -v mysql)"
  echo "$c --protocol=TCP -h$DB_HOST -P$DB_PORT -u$DB_USER"
}
sql() { MYSQL_PWD="$DB_PASS" $(client_cmd) "$@"; }
sql_db() { sql "$DB" "$@"; }
show() { sql_db -t -e "$1"; }
scalar() { sql_db -N -B -e "$1"; }

wait_for() { # wait_for SECONDS DESCRIPTION COMMAND...
  local secs="$1" what="$2"
  shift 2
  for _ in $(seq 1 $((secs * 5))); do
    if "$@"; then return 0; fi
    sleep 0.2
  done
  die "timed out after ${secs}s waiting for: $what (logs in $LOGS)"
}
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

say "Building the release binary (the first build takes a few minutes)"
cargo build --release --locked --bin certyo-queue

say "Database ${DB} with the guide's products table"
sql -e "DROP DATABASE IF EXISTS \`${DB}\`; CREATE DATABASE \`${DB}\`"
sed 's/{table}/`products`/' sql/example_products.sql | sql_db
echo "created ${DB}.products"

# The emulator's key, never a real one from the caller's environment.
export CERTYO_API_KEY=certyo_sk_test_emulator CERTYO_TENANT_ID=tenant-emulator
unset CERTYO_API_KEY_FILE DATABASE_URL_FILE 2>/dev/null || true

say "Certyo emulator on 127.0.0.1:${EMU_PORT} (records count as anchored 5 s after ingestion)"
port_open "$EMU_PORT" && die "port ${EMU_PORT} is taken; set CERTYO_DEMO_EMULATOR_PORT"
"$BIN" emulator --listen "127.0.0.1:${EMU_PORT}" --anchor-delay 5s >"$LOGS/emulator.log" 2>&1 &
PIDS+=($!)
wait_for 15 "the emulator to listen" port_open "$EMU_PORT"
echo "listening (log: $LOGS/emulator.log)"

say "certyo-queue migrate --table products"
"$BIN" migrate --database-url "$DATABASE_URL" --table products

say "certyo-queue work (metrics on http://127.0.0.1:${METRICS_PORT}/metrics)"
port_open "$METRICS_PORT" && die "port ${METRICS_PORT} is taken; set CERTYO_DEMO_METRICS_PORT"
"$BIN" work --database-url "$DATABASE_URL" --base-url "http://127.0.0.1:${EMU_PORT}" \
  --concurrency 4 --poll-interval 100ms --progress-interval 5s \
  --verify-interval 1s --verify-after 1s --cleanup-interval 5s --leader-check-interval 1s \
  --metrics-addr "127.0.0.1:${METRICS_PORT}" >"$LOGS/work.log" 2>&1 &
PIDS+=($!)
wait_for 20 "the worker to serve /healthz" port_open "$METRICS_PORT"
echo "running (log: $LOGS/work.log)"

say "Changes: 5 inserts, 2 updates, 1 delete, queued by the triggers (processed = 1 once delivered)"
show "INSERT INTO products (sku, name, category, price, batch_number, manufactured_at) VALUES
  ('SKU-1001', 'Organic Coffee Beans 1kg', 'grocery', 18.50, 'B-2401', '2026-01-02 08:00:00'),
  ('SKU-1002', 'Stainless Steel Kettle', 'kitchen', 39.90, 'B-2402', '2026-01-03 09:30:00'),
  ('SKU-1003', 'Cotton T-Shirt M', 'apparel', 12.00, 'B-2403', '2026-01-04 10:15:00'),
  ('SKU-1004', 'LED Desk Lamp', 'office', 24.99, 'B-2404', '2026-01-05 11:45:00'),
  ('SKU-1005', 'Yoga Mat', 'sports', 21.00, 'B-2405', '2026-01-06 12:00:00');
UPDATE products SET price = 19.90 WHERE sku = 'SKU-1001';
UPDATE products SET name = 'Cotton T-Shirt L' WHERE sku = 'SKU-1003';
DELETE FROM products WHERE sku = 'SKU-1005';
SELECT id, table_name, record_id, CAST(op_type AS CHAR) AS op_type, processed
FROM certyo_queue ORDER BY id"

say "Delivered: every change accepted by Certyo (202), record hash written back"
# Delivered, and written back: the 4 remaining products carry Certyo's record hash.
all_delivered() {
  [ "$(scalar 'SELECT COUNT(*) FROM certyo_queue WHERE processed = 1')" = 8 ] &&
    [ "$(scalar 'SELECT COUNT(*) FROM products WHERE certyo_record_hash IS NOT NULL')" = 4 ]
}
wait_for 30 "all 8 changes delivered and written back" all_delivered
show "SELECT id, table_name, record_id, CAST(op_type AS CHAR) AS op_type, processed,
       delivered_at FROM certyo_queue ORDER BY id;
SELECT id, sku, name, price, certyo_anchor_status AS status,
       LEFT(certyo_record_hash, 16) AS record_hash_prefix
FROM products ORDER BY id"

say "Anchored: the verifier asked Certyo, which says the records are on chain"
all_anchored() {
  [ "$(scalar "SELECT COUNT(*) FROM products WHERE certyo_anchor_status = 'Anchored'")" = 4 ]
}
wait_for 60 "all 4 products anchored" all_anchored
show "SELECT id, sku, price, certyo_anchor_status AS status, certyo_verified_at AS verified_at,
       LEFT(certyo_record_hash, 16) AS record_hash_prefix
FROM products ORDER BY id"

say "A few of the worker's metrics"
if command -v curl >/dev/null 2>&1; then
  curl -fsS "http://127.0.0.1:${METRICS_PORT}/metrics" |
    grep -E '^certyo_(queue_delivered_total|queue_depth|verify_outcomes_total|api_responses_total)[{ ]' |
    head -12 || true
else
  echo "(install curl to see them: curl http://127.0.0.1:${METRICS_PORT}/metrics)"
fi

say "Done: 8 changes delivered, 4 products anchored"
