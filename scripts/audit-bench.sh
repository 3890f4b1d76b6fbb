#!/usr/bin/env bash
# The `audit` figure: how long the local pass takes over a table of N delivered rows.
# Creates a scratch database certyo_audit_bench on the server, a `products` table of N
# rows (the guide's table), captures and backfills it, delivers every row through
# `work` and the built-in emulator (so each row has its written-back payload digest),
# then times `certyo-queue audit --table products` and drops the database.
#
#   cargo build --release
#   bash scripts/audit-bench.sh 127.0.0.1 3306 1000000    # MariaDB
#   bash scripts/audit-bench.sh 127.0.0.1 3307 1000000    # MySQL
#
# Needs the mysql/mariadb client and a user that may CREATE/DROP DATABASE (root here).
set -euo pipefail
host=${1:-127.0.0.1}
port=${2:-3306}
rows=${3:-1000000}
bin=${CERTYO_QUEUE_BIN:-./target/release/certyo-queue}
db=certyo_audit_bench
url="mysql://root@${host}:${port}/${db}"
emu_port=${CERTYO_AUDIT_BENCH_EMULATOR_PORT:-18181}
sql() { mysql -h "$host" -P "$port" -uroot -N -B "$@"; }

[ -x "$bin" ] || { echo "build first: cargo build --release" >&2; exit 1; }
sql -e "DROP DATABASE IF EXISTS $db; CREATE DATABASE $db"
sed 's/{table}/`products`/' sql/example_products.sql | grep -v '^--' | sql "$db"
# N rows from a cross join of digit tables (no recursion limits on either engine).
sql "$db" -e "CREATE TABLE d (i INT PRIMARY KEY); INSERT INTO d VALUES (0),(1),(2),(3),(4),(5),(6),(7),(8),(9);
  INSERT INTO products (sku, name, category, price, batch_number, manufactured_at)
  SELECT CONCAT('SKU-', n), CONCAT('product ', n), 'cat', (n % 1000) + 0.5, 'B1', '2026-01-02 03:04:05'
  FROM (SELECT a.i + 10*b.i + 100*c.i + 1000*e.i + 10000*f.i + 100000*g.i + 1000000*h.i AS n
        FROM d a, d b, d c, d e, d f, d g, d h) AS nums
  WHERE n < $rows; DROP TABLE d"
"$bin" migrate --database-url "$url" --table products >/dev/null 2>&1
"$bin" backfill --database-url "$url" --table products --batch 20000 2>/dev/null

"$bin" emulator --listen "127.0.0.1:$emu_port" --anchor-delay 0s 2>/dev/null &
emu=$!
CERTYO_BASE_URL="http://127.0.0.1:$emu_port" CERTYO_API_KEY=certyo_sk_test_emulator \
  CERTYO_TENANT_ID=tenant-emulator "$bin" work --database-url "$url" --no-scheduled \
  --concurrency 4 --batch-size 500 --metrics-addr 127.0.0.1:0 2>/dev/null &
worker=$!
trap 'kill $worker $emu 2>/dev/null || true' EXIT
while [ "$(sql "$db" -e 'SELECT COUNT(*) FROM certyo_queue WHERE processed = 0')" != 0 ]; do
  sleep 5
done
kill "$worker" "$emu"; wait "$worker" "$emu" 2>/dev/null || true
trap - EXIT
echo "delivered: $(sql "$db" -e "SELECT COUNT(*) FROM products WHERE certyo_payload_sha256 IS NOT NULL") rows with a digest"

start=$(date +%s.%N)
set +e
"$bin" audit --database-url "$url" --table products --local 2>/dev/null
code=$?
set -e
end=$(date +%s.%N)
echo "audit: exit $code, $(echo "$end - $start" | bc) s for $rows rows (server on port $port)"
sql -e "DROP DATABASE $db"
