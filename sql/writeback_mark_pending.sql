-- writeback: mark one delivered version of a source row as awaiting anchoring, unless a
-- newer live event of the same record is queued (then that version's write-back wins).
-- {table} is checked and quoted; {key_match} is `pk` = ? per key column; {keep} pins ON
-- UPDATE CURRENT_TIMESTAMP columns so the write-back does not move them. Served by the
-- table's primary key and certyo_queue_record_order (table_name, record_id, ...).
-- Locks: the one source row (X); the queue subquery is a non-locking read.
-- Binds: record hash, key values..., table_name, record_id, queue id.
UPDATE {table}
SET certyo_anchor_status = 'Pending',
    certyo_ingested_at = NOW(6),
    certyo_record_hash = ?,
    certyo_verify_next_at = NULL,
    certyo_verified_at = NULL{keep}
WHERE {key_match}
  AND NOT EXISTS (
    SELECT 1 FROM certyo_queue q
    WHERE q.table_name = ? AND q.record_id = ? AND q.id > ? AND q.dead_at IS NULL
  )
