-- tasks::verify: still not anchored after the anchor timeout: give up on this version.
-- Same version guard as captured_mark_anchored.sql; tracking columns only; {keep} as
-- there.
-- Index: PRIMARY ({pk_match}). Locks: that one row, until the round's commit.
-- Parameters: the primary-key values (as text, in key order), then certyo_ingested_at
-- as read.
-- Placeholders: {table}, {keep}, {pk_match} as in captured_mark_anchored.sql.
UPDATE {table}
SET certyo_anchor_status = 'Failed',
    certyo_verify_next_at = NULL{keep}
WHERE {pk_match}
  AND certyo_ingested_at = ?
  AND certyo_anchor_status = 'Pending'
