-- Progress of `certyo-queue backfill`, one row per table: the key of the last row
-- enqueued (a JSON array of its primary-key values as text), rows enqueued so far, when
-- the run started and when it finished (NULL while unfinished). Each backfill chunk
-- enqueues its rows and advances this row in one transaction, so an interrupted
-- backfill resumes after the last committed chunk and enqueues no row twice.
CREATE TABLE IF NOT EXISTS certyo_queue_backfill (
  table_name VARCHAR(64) NOT NULL PRIMARY KEY,
  last_key TEXT NULL,
  rows_enqueued BIGINT UNSIGNED NOT NULL DEFAULT 0,
  started_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  finished_at TIMESTAMP(6) NULL DEFAULT NULL
) ENGINE=InnoDB;
