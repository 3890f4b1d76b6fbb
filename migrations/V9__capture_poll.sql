-- Capture by polling (`migrate --capture poll`): per polled table, its checkpoint, and
-- the row versions the poller enqueued recently. Both are written only by the poller
-- (one process at a time, the `poll` leader job) and by `migrate` when it sets a table
-- up for polling. Re-runnable (IF NOT EXISTS): MySQL commits each DDL implicitly.
--
-- certyo_capture_poll: floor_stamp = nothing stamped earlier is read (history before
-- the capture started is `backfill`'s); high_stamp = the newest poll-column value the
-- poller has enqueued or passed. Each poll page enqueues its rows and advances this row
-- in one transaction, so a crash neither skips nor doubles a change. Every round
-- re-reads from high_stamp - lag (the trailing window), which catches rows whose
-- transactions committed after later-stamped ones.
CREATE TABLE IF NOT EXISTS certyo_capture_poll (
  table_name VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL PRIMARY KEY,
  floor_stamp DATETIME(6) NOT NULL,
  high_stamp DATETIME(6) NULL,
  rows_enqueued BIGINT UNSIGNED NOT NULL DEFAULT 0,
  polled_at TIMESTAMP(6) NULL DEFAULT NULL,
  created_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)
) ENGINE=InnoDB;
-- certyo_capture_poll_seen: per record, the digest of the version last enqueued and its
-- poll-column value, so re-reading the trailing window enqueues each version once.
-- Entries older than the window are pruned (such a row is read again only once its
-- stamp moves, i.e. as a new version).
CREATE TABLE IF NOT EXISTS certyo_capture_poll_seen (
  table_name VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  record_id VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  stamp DATETIME(6) NOT NULL,
  digest CHAR(64) CHARACTER SET ascii NOT NULL,
  PRIMARY KEY (table_name, record_id),
  INDEX certyo_capture_poll_seen_prune (table_name, stamp)
) ENGINE=InnoDB;
