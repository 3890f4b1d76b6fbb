-- bench::load: insert rows into a products table. Autocommit: one statement is one
-- transaction (and, on a captured table, one queue row per product row, written by the
-- AFTER INSERT trigger in the same transaction).
-- Parameters: per row, in order: sku, name, category, price, batch_number,
-- manufactured_at.
-- Placeholders: {table} the quoted table; {rows} `(?, ?, ?, ?, ?, ?)` once per row.
INSERT INTO {table} (sku, name, category, price, batch_number, manufactured_at)
VALUES {rows}
