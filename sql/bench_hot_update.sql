-- bench, hot records: one application UPDATE changing the price of every hot row, ids
-- ? to ? (each changed row queues one event through the capture trigger). Autocommit.
UPDATE products SET price = ? WHERE id BETWEEN ? AND ?
