-- writeback: lock the source rows of a batch of delivered versions, skipping any row
-- another transaction holds (the application's, typically), and return the queue ids
-- of the rows locked. SKIP LOCKED is the point: the write-back never waits for the
-- application, so it can neither stall nor deadlock it; rows it skips are written back
-- later (certyo_writeback_due). Served by the table's primary key (eq_ref from the
-- derived table). Locks: the returned source rows (X), until the write-back commits.
-- Parameters: per row of the batch, in order: the record hash, the record_id, the
-- queue id, NULL (no digest here), then the key values in key order (the {values}
-- rows of captured_mark_pending.sql).
-- Placeholders: {values} the batch's derived table (see captured_mark_pending.sql);
-- {table} the checked, backtick-quoted table; {key_join} `t.pk = v.kN` per key column
-- (key_join / key_join_hex of captured_writeback_fragments.sql, joined by AND).
-- Returns: q (the queue id), one row per source row locked.
SELECT v.q
FROM {table} t
JOIN ({values}) v ON {key_join}
FOR UPDATE SKIP LOCKED
