-- Write-backs that could not land with their delivery, kept until they do. Delivery
-- marks queue rows delivered and writes the record hash and 'Pending' onto the source
-- rows in one transaction, but it never waits for a source row another transaction
-- holds (it locks with SKIP LOCKED, so it can never stall or deadlock the application):
-- a row it could not lock gets a row here, and `work` retries it with backoff until
-- it lands, the source row is gone, or a newer version of the record supersedes it.
-- Empty in the common case; nothing on the capture path touches it.
CREATE TABLE IF NOT EXISTS certyo_writeback_due (
  queue_id BIGINT NOT NULL PRIMARY KEY,
  table_name VARCHAR(100) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  record_id VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  record_hash VARCHAR(255) NULL,
  attempts INT UNSIGNED NOT NULL DEFAULT 0,
  due_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  created_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  last_error VARCHAR(1000) NULL,
  -- writeback_due_claim.sql: WHERE due_at <= now ORDER BY due_at
  INDEX certyo_writeback_due_claim (due_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
