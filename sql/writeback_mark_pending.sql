-- writeback: mark a batch of delivered versions of rows of one table as awaiting
-- anchoring, one statement per table per batch. {values} is a derived table of the
-- batch, one `SELECT ? AS h, ? AS r, ? AS q, ? AS k0 ...` per row joined by UNION ALL
-- (h = record hash, r = record_id, q = queue id, k0.. = key values in key order; at
-- most one row per record). {table} is checked and quoted; {key_join} is `t.pk = v.kN`
-- per key column; {keep} pins ON UPDATE CURRENT_TIMESTAMP columns so the write-back
-- does not move them. A row is skipped if a newer live (not dead) event of the same
-- record is queued: then that version's write-back wins.
-- Served by the table's primary key (eq_ref from the derived table) and
-- certyo_queue_record_order (table_name, record_id, ...) for the guard.
-- Locks: the batch's source rows (X); the queue subquery is a non-locking read.
-- Binds: the values' binds row by row, then table_name.
UPDATE {table} t
JOIN ({values}) v ON {key_join}
SET t.certyo_anchor_status = 'Pending',
    t.certyo_ingested_at = NOW(6),
    t.certyo_record_hash = v.h,
    t.certyo_verify_next_at = NULL,
    t.certyo_verified_at = NULL{keep}
WHERE NOT EXISTS (
    SELECT 1 FROM certyo_queue q
    WHERE q.table_name = ? AND q.record_id = v.r AND q.id > v.q AND q.dead_at IS NULL
  )
