-- bench, hot records: the id range of the products rows whose SKU starts with ? (one
-- multi-row INSERT made them, so their AUTO_INCREMENT ids are consecutive).
SELECT MIN(id), MAX(id) FROM products WHERE sku LIKE ?
