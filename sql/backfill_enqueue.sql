-- backfill: enqueue one chunk, the rows with last key < key <= chunk end, as `upsert`
-- events with the same record_id and payload expressions as the capture triggers
-- (sql/capture_fragments.sql, filled with the row alias src).
-- <table_name> is the checked name as a string literal, <table> the quoted table.
-- Index: PRIMARY range on the source table. Locks: under READ COMMITTED the source rows
-- are read as a consistent read (no locks); the new queue rows are locked until commit.
INSERT INTO certyo_queue (table_name, record_id, op_type, payload)
SELECT '{table_name}', {record_id}, 'upsert', {payload}
FROM {table} AS src
WHERE {after} AND {upto}
ORDER BY {order}
