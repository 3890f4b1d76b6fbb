-- Capture from the binary log (`migrate --capture binlog`): the reader's checkpoint, one
-- row per reader (today one, named 'main', run by the `binlog` leader job). Written by
-- `migrate` (the server's position when the first table is registered) and by the
-- reader, in the same transaction as the queue rows it enqueues, so a crash neither
-- loses nor doubles a change. binlog_file/binlog_pos: the end of the last transaction
-- enqueued or passed (a transaction boundary); event_at: its commit time on the server
-- (binlog event timestamp, seconds), for lag. Re-runnable (IF NOT EXISTS).
CREATE TABLE IF NOT EXISTS certyo_capture_binlog (
  reader VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
  binlog_file VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  binlog_pos BIGINT UNSIGNED NOT NULL,
  rows_enqueued BIGINT UNSIGNED NOT NULL DEFAULT 0,
  event_at TIMESTAMP(6) NULL DEFAULT NULL,
  updated_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  created_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)
) ENGINE=InnoDB;
