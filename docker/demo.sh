#!/bin/sh
# The `demo` service of docker-compose.yml: once capture is installed, makes some
# inserts, updates and deletes in shop.products, then every 5 s shows how far they got:
# queued → delivered (status Pending, record hash written back) → Anchored.
set -eu
q() { mysql -h mysql -uroot shop "$@"; }

q -e "
INSERT INTO products (sku, name, category, price, batch_number, manufactured_at) VALUES
  ('SKU-2001', 'Ceramic Mug', 'kitchen', 9.50, 'B-2501', '2026-02-01 08:00:00'),
  ('SKU-2002', 'Wool Socks', 'apparel', 7.25, 'B-2502', '2026-02-02 09:00:00'),
  ('SKU-2003', 'Notebook A5', 'office', 4.99, 'B-2503', '2026-02-03 10:00:00');
UPDATE products SET price = ROUND(price * 1.10, 2) WHERE sku LIKE 'SKU-1%';
DELETE FROM products WHERE sku = 'SKU-1005';"
echo "demo: 3 inserts, 5 updates and 1 delete made; watching them flow (Ctrl-C to stop)"

while true; do
  q -t -e "
SELECT SUM(processed = 0 AND dead_at IS NULL) AS queued,
       SUM(processed = 1) AS delivered,
       SUM(dead_at IS NOT NULL) AS dead
FROM certyo_queue;
SELECT id, sku, price, COALESCE(certyo_anchor_status, '-') AS anchor_status,
       COALESCE(LEFT(certyo_record_hash, 16), '-') AS record_hash
FROM products ORDER BY id;"
  sleep 5
done
