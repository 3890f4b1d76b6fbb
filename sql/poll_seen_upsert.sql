-- poll: in a page's transaction: the versions just enqueued, {values} one
-- `(?, ?, ?, ?)` per row (table, record id, stamp, digest). By primary key.
INSERT INTO certyo_capture_poll_seen (table_name, record_id, stamp, digest)
VALUES {values}
ON DUPLICATE KEY UPDATE stamp = VALUES(stamp), digest = VALUES(digest)
