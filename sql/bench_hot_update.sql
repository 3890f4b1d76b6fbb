-- bench::hot: (hot records) one application UPDATE changing the price of every hot row,
-- ids ? to ? (each changed row queues one event through the capture trigger).
-- Autocommit.
-- Parameters: the new price, the lowest id, the highest id.
UPDATE products SET price = ? WHERE id BETWEEN ? AND ?
