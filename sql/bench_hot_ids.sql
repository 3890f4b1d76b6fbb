-- bench::hot: (hot records) the id range of the products rows whose SKU starts with a
-- prefix (one multi-row INSERT made them, so their AUTO_INCREMENT ids are consecutive).
-- Parameters: the LIKE pattern, `<prefix>-%`.
-- Returns: one row: MIN(id), MAX(id) (NULL, NULL when none).
SELECT MIN(id), MAX(id) FROM products WHERE sku LIKE ?
