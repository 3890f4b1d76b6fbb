-- tasks::verify: one round's candidates in one captured table: rows delivered
-- ('Pending'), ingested at least verify_after ago, whose backoff
-- (certyo_verify_next_at) has expired; oldest ingestion first.
-- Index: certyo_verify (certyo_anchor_status, certyo_ingested_at) serves the WHERE range
-- and the ORDER BY; the next_at test filters within it. Locks: nothing (plain read).
-- Parameters: verify_after in microseconds, batch size.
-- Placeholders: {table} the checked, backtick-quoted table; {pk_values} reads each
-- primary-key column as text (pk0, pk1, …; pk_value / pk_value_hex of
-- captured_verify_fragments.sql); {record_id} the record id's text form (the capture
-- triggers' expression, or record_id_one / record_id_many).
-- Returns: pk0, pk1, … (the key as text), record_id, certyo_ingested_at, age_us, oldest
-- ingestion first, at most the batch size.
SELECT {pk_values},
       {record_id} AS record_id,
       certyo_ingested_at,
       TIMESTAMPDIFF(MICROSECOND, certyo_ingested_at, CURRENT_TIMESTAMP(6)) AS age_us
FROM {table}
WHERE certyo_anchor_status = 'Pending'
  AND certyo_ingested_at <= CURRENT_TIMESTAMP(6) - INTERVAL ? MICROSECOND
  AND (certyo_verify_next_at IS NULL OR certyo_verify_next_at <= CURRENT_TIMESTAMP(6))
ORDER BY certyo_ingested_at
LIMIT ?
