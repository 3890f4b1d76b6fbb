-- writeback: mark a batch of delivered versions of rows of one table as awaiting
-- anchoring, one statement per table per batch. Only rows this transaction already
-- locked (captured_lock_rows.sql) and whose version is the newest
-- (queue_select_newest_live.sql) are in {values}, so the statement waits for nothing.
-- Served by the table's primary key (eq_ref from the derived table).
-- Locks: the batch's source rows (X), already held.
-- Parameters: per row of the batch, in order: h = the record hash, r = the record_id,
-- q = the queue id, d = the SHA-256 of the delivered payload text (NULL when unknown),
-- then k0.. = the key values in key order (at most 500 rows per statement, at most one
-- row per record).
-- Placeholders: {values} a derived table of the batch, one `SELECT ? AS h, ? AS r, ? AS
-- q, ? AS d, ? AS k0 ...` per row joined by UNION ALL (first_row, first_key, row and
-- key of captured_writeback_fragments.sql); {table} the checked, backtick-quoted table;
-- {key_join} `t.pk = v.kN` per key column; {keep} pins ON UPDATE CURRENT_TIMESTAMP
-- columns so the write-back does not move them; {digest} writes d into
-- certyo_payload_sha256 (digest_set; empty on tables migrated before that column
-- existed).
UPDATE {table} t
JOIN ({values}) v ON {key_join}
SET t.certyo_anchor_status = 'Pending',
    t.certyo_ingested_at = NOW(6),
    t.certyo_record_hash = v.h{digest},
    t.certyo_verify_next_at = NULL,
    t.certyo_verified_at = NULL{keep}
