-- poll: the digests last enqueued for records {ids} (? per record id) of table ?, to
-- enqueue only versions not enqueued yet. Index: PRIMARY (table_name, record_id).
-- Locks: nothing (a consistent read, after the checkpoint row lock: it sees whatever
-- an earlier poller committed). Binds: table_name, then the record ids.
SELECT CAST(record_id AS CHAR) AS record_id, CAST(digest AS CHAR) AS digest
FROM certyo_capture_poll_seen
WHERE table_name = ? AND record_id IN ({ids})
