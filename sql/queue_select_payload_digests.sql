-- queue::versions::payload_digests: for the write-back, the SHA-256 (lowercase hex) of
-- the payload text of delivered queue rows {ids} (? per queue id): exactly the text the
-- worker read (CAST(payload AS CHAR), in this utf8mb4 session) and sent as
-- recordPayload, so the digest written back is of the bytes Certyo received. A plain
-- SELECT by primary key: a consistent, non-locking read (no locking statement reads
-- certyo_queue, see queue_select_newest_live.sql). A row already cleaned up (a
-- write-back kept past retention) has no digest.
-- Parameters: the queue ids ({ids}).
-- Placeholders: {ids} one bind marker per queue id.
-- Returns: id, payload_sha256, one row per id still in the queue.
SELECT id, SHA2(CAST(payload AS CHAR), 256) AS payload_sha256
FROM certyo_queue
WHERE id IN ({ids})
