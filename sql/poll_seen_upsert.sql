-- capture::poll::enqueue: in a page's transaction: the versions just enqueued. By
-- primary key.
-- Parameters: per row, in order: the table name, the record id, the stamp, the digest.
-- Placeholders: {values} one `(?, ?, ?, ?)` per row (seen_row of poll_fragments.sql),
-- joined by ", ".
INSERT INTO certyo_capture_poll_seen (table_name, record_id, stamp, digest)
VALUES {values}
ON DUPLICATE KEY UPDATE stamp = VALUES(stamp), digest = VALUES(digest)
