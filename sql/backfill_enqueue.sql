-- ops::backfill::chunk: enqueue one chunk, the rows with last key < key <= chunk end, as
-- `upsert` events with the same record_id and payload expressions as the capture
-- triggers (sql/capture_fragments.sql, filled with the row alias src).
-- Index: PRIMARY range on the source table. Locks: under READ COMMITTED the source rows
-- are read as a consistent read (no locks); the new queue rows are locked until commit.
-- Parameters: the key values of {after} (none on the first chunk), then those of {upto}.
-- Placeholders: {table_name} the checked name as a string literal; {table} the checked,
-- backtick-quoted table; {record_id}, {payload} the capture triggers' expressions over
-- src; {after} "key > last key" (or TRUE); {upto} "key <= chunk end"; {order} the key
-- columns in key order.
INSERT INTO certyo_queue (table_name, record_id, op_type, payload)
SELECT '{table_name}', {record_id}, 'upsert', {payload}
FROM {table} AS src
WHERE {after} AND {upto}
ORDER BY {order}
