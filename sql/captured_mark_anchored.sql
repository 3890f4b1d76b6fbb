-- tasks::verify: Certyo says the row's latest version is anchored. Only if the row is
-- still the version that was checked: same primary key, same ingestion time, still
-- 'Pending' (a newer version has another certyo_ingested_at, or NULL until it is
-- delivered). Touches tracking columns only; {keep} pins ON UPDATE CURRENT_TIMESTAMP
-- columns to their value so the user's "updated at" does not move.
-- Index: PRIMARY ({pk_match}). Locks: that one row, until the round's commit.
-- Parameters: the primary-key values (as text, in key order), then certyo_ingested_at
-- as read.
-- Placeholders: {table} the checked, backtick-quoted table; {keep} `, col = col` per ON
-- UPDATE CURRENT_TIMESTAMP column (empty when none); {pk_match} `col = ?` (or `col =
-- UNHEX(?)` for a binary key column) per key column, joined by AND
-- (captured_verify_fragments.sql).
UPDATE {table}
SET certyo_anchor_status = 'Anchored',
    certyo_verified_at = CURRENT_TIMESTAMP,
    certyo_verify_next_at = NULL{keep}
WHERE {pk_match}
  AND certyo_ingested_at = ?
  AND certyo_anchor_status = 'Pending'
