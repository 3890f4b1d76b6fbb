-- writeback: lock the source rows of a batch of delivered versions, skipping any row
-- another transaction holds (the application's, typically), and return the queue ids
-- of the rows locked. {values} is the batch's derived table (see
-- captured_mark_pending.sql), {table} checked and quoted, {key_join} `t.pk = v.kN`.
-- SKIP LOCKED is the point: the write-back never waits for the application, so it
-- can neither stall nor deadlock it; rows it skips are written back later
-- (certyo_writeback_due). Served by the table's primary key (eq_ref from the derived
-- table). Locks: the returned source rows (X), until the write-back commits.
SELECT v.q
FROM {table} t
JOIN ({values}) v ON {key_join}
FOR UPDATE SKIP LOCKED
