-- queue::chain: the first ? unfinished (not delivered, not dead) events of each record
-- {ids} (? per record_id) of table ?, in queue-id order, right after this transaction
-- marked those records' previous events delivered, and whether each may be leased now:
-- due (a fresh row, or an expired lease), or parked by a claim (never attempted, no
-- lease). A row waiting out a retry backoff (attempts > 0, not due) is not ready. The
-- worker leases the ready prefix of each record's events and sends them one after
-- another, so a hot record's next event goes out as soon as the previous one is
-- accepted instead of waiting for a claim to find it.
-- A plain SELECT: consistent, non-locking (READ COMMITTED; it sees this transaction's
-- own completions). Served by certyo_queue_record_order (table_name, record_id,
-- processed, id); reads the records' unfinished events only.
-- Parameters: the table name, the record ids ({ids}), the run length (HAND_OVER_RUN).
-- Placeholders: {ids} one bind marker per record id (at most 1000 per statement).
-- Returns: id, record_id, ready (1 or 0), ordered by record_id then id; at most the run
-- length of rows per record.
SELECT id, record_id, ready FROM (
  SELECT id, CAST(record_id AS CHAR) AS record_id,
         CAST(available_at <= NOW(6) OR (lease_owner IS NULL AND attempts = 0) AS SIGNED) AS ready,
         ROW_NUMBER() OVER (PARTITION BY record_id ORDER BY id) AS n
  FROM certyo_queue
  WHERE table_name = ? AND record_id IN ({ids}) AND processed = 0 AND dead_at IS NULL
) r
WHERE n <= ?
ORDER BY record_id, id
