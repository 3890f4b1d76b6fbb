-- One round's candidates in one captured table: rows delivered ('Pending'), ingested at
-- least verify_after ago, whose backoff (certyo_verify_next_at) has expired; oldest
-- ingestion first. <table> is the checked, backtick-quoted table; <pk_values> reads each
-- primary-key column as text (pk0, pk1, …); <record_id> is the record id's text form.
-- Index: certyo_verify (certyo_anchor_status, certyo_ingested_at) serves the WHERE range
-- and the ORDER BY; the next_at test filters within it. Locks: nothing (plain read).
-- Parameters: verify_after in microseconds, batch size.
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
