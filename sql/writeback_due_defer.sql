-- writeback::defer: keep write-backs for a later try, because their source rows were
-- held by another transaction. A row already kept gets its next try pushed back and one
-- more attempt. By primary key.
-- Parameters: per write-back, in order: the queue id, the table, the record id, the
-- record hash, the delay in microseconds, the error.
-- Placeholders: {values} one `(?, ?, ?, ?, NOW(6) + INTERVAL ? MICROSECOND, ?)` per
-- write-back (due_row of captured_writeback_fragments.sql), joined by ", ".
INSERT INTO certyo_writeback_due (queue_id, table_name, record_id, record_hash, due_at, last_error)
VALUES {values}
ON DUPLICATE KEY UPDATE
  due_at = VALUES(due_at),
  last_error = VALUES(last_error),
  attempts = attempts + 1
