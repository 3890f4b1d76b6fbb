-- writeback: keep write-backs {values} (one `(?, ?, ?, ?, NOW(6) + INTERVAL ?
-- MICROSECOND, ?)` per row: queue id, table, record id, hash, delay, error) for a later
-- try, because their source rows were held by another transaction. A row already kept
-- gets its next try pushed back and one more attempt. By primary key.
INSERT INTO certyo_writeback_due (queue_id, table_name, record_id, record_hash, due_at, last_error)
VALUES {values}
ON DUPLICATE KEY UPDATE
  due_at = VALUES(due_at),
  last_error = VALUES(last_error),
  attempts = attempts + 1
