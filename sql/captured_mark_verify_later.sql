-- tasks::verify: not anchored yet: check this row again after a delay (the caller grows
-- it with the row's age, so a few stuck rows cannot crowd out the rest). Same version
-- guard as captured_mark_anchored.sql; tracking columns only; {keep} as there.
-- Index: PRIMARY ({pk_match}). Locks: that one row, until the round's commit.
-- Parameters: delay in microseconds, the primary-key values (as text, in key order),
-- then certyo_ingested_at as read.
-- Placeholders: {table}, {keep}, {pk_match} as in captured_mark_anchored.sql.
UPDATE {table}
SET certyo_verify_next_at = CURRENT_TIMESTAMP(6) + INTERVAL ? MICROSECOND{keep}
WHERE {pk_match}
  AND certyo_ingested_at = ?
  AND certyo_anchor_status = 'Pending'
