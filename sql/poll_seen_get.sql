-- capture::poll::unseen: the digests last enqueued for records {ids} (? per record id)
-- of table ?, to enqueue only versions not enqueued yet. Index: PRIMARY (table_name,
-- record_id). Locks: nothing (a consistent read, after the checkpoint row lock: it sees
-- whatever an earlier poller committed).
-- Parameters: the table name, then the record ids ({ids}).
-- Placeholders: {ids} one bind marker per row read.
-- Returns: record_id, digest, one row per record already seen.
SELECT CAST(record_id AS CHAR) AS record_id, CAST(digest AS CHAR) AS digest
FROM certyo_capture_poll_seen
WHERE table_name = ? AND record_id IN ({ids})
