-- writeback: mark a batch of delivered versions of rows of one table as awaiting
-- anchoring, one statement per table per batch. {values} is a derived table of the
-- batch, one `SELECT ? AS h, ? AS r, ? AS q, ? AS d, ? AS k0 ...` per row joined by UNION
-- ALL (h = record hash, r = record_id, q = queue id, d = SHA-256 of the delivered
-- payload text, k0.. = key values in key order; at most one row per record). {table} is checked and quoted; {key_join} is `t.pk = v.kN`
-- per key column; {keep} pins ON UPDATE CURRENT_TIMESTAMP columns so the write-back
-- does not move them; {digest} writes d into certyo_payload_sha256 (empty on tables
-- migrated before that column existed). Only rows this transaction already locked
-- (captured_lock_rows.sql) and whose version is the newest (queue_select_newest_live.sql)
-- are in {values}, so the statement waits for nothing.
-- Served by the table's primary key (eq_ref from the derived table).
-- Locks: the batch's source rows (X), already held.
UPDATE {table} t
JOIN ({values}) v ON {key_join}
SET t.certyo_anchor_status = 'Pending',
    t.certyo_ingested_at = NOW(6),
    t.certyo_record_hash = v.h{digest},
    t.certyo_verify_next_at = NULL,
    t.certyo_verified_at = NULL{keep}
