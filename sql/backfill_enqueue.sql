-- ops::backfill::chunk: enqueue the rows with {after} AND {upto} (a chunk, or one key) as
-- `upsert` events with the same record_id and payload expressions as the capture
-- triggers (sql/capture_fragments.sql, filled with the row alias src).
-- Index: PRIMARY range on the source table. Locks: a shared lock on each source row read,
-- SKIP LOCKED: a row an application transaction holds is skipped (never waited for) and
-- left to ops::backfill::chunk's retry; every row enqueued is its newest committed
-- version, and held until commit, so a later change of it queues after this event. The
-- new queue rows are locked until commit.
-- Parameters: the key values of {after} (none on the first chunk), then those of {upto}.
-- Placeholders: {table_name} the checked name as a string literal; {table} the checked,
-- backtick-quoted table; {record_id}, {payload} the capture triggers' expressions over
-- src; {after} "key > last key" (or TRUE, or "key = value"); {upto} "key <= chunk end"
-- (or TRUE); {order} the key columns in key order; {lock} share_skip_* of
-- backfill_fragments.sql for the server's engine.
INSERT INTO certyo_queue (table_name, record_id, op_type, payload)
SELECT '{table_name}', {record_id}, 'upsert', {payload}
FROM {table} AS src
WHERE {after} AND {upto}
ORDER BY {order}
{lock}
