-- bench: insert rows into {table}; {rows} is `(?, ?, ?, ?, ?, ?)` once per row.
-- Autocommit: one statement is one transaction (and, on a captured table, one queue
-- row per product row, written by the AFTER INSERT trigger in the same transaction).
INSERT INTO {table} (sku, name, category, price, batch_number, manufactured_at)
VALUES {rows}
