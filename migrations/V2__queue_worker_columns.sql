-- What the worker needs on top of the guide's shape. A row's life:
--   pending     processed = 0, dead_at NULL, available_at = when it may next be claimed
--   leased      pending with lease_owner set and available_at = lease expiry
--               (an expired lease is simply claimable again: nothing has to reset it)
--   delivered   processed = 1, delivered_at set, available_at NULL
--   dead        processed = 0, dead_at set, available_at NULL, last_error says why
-- The two UPDATEs make adopted rows fit the NOT NULL columns below; they and the
-- single ALTER are safe to re-run if the ALTER fails halfway.
UPDATE certyo_queue SET processed = FALSE WHERE processed IS NULL;
UPDATE certyo_queue SET created_at = CURRENT_TIMESTAMP WHERE created_at IS NULL;
ALTER TABLE certyo_queue
  MODIFY record_id VARCHAR(255) NOT NULL,
  MODIFY op_type ENUM('insert', 'update', 'delete', 'upsert') NOT NULL,
  MODIFY created_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
  MODIFY processed BOOLEAN NOT NULL DEFAULT FALSE,
  ADD COLUMN attempts INT UNSIGNED NOT NULL DEFAULT 0,
  ADD COLUMN available_at TIMESTAMP(6) NULL DEFAULT CURRENT_TIMESTAMP(6),
  ADD COLUMN lease_owner VARCHAR(100) NULL,
  ADD COLUMN delivered_at TIMESTAMP(6) NULL,
  ADD COLUMN dead_at TIMESTAMP(6) NULL,
  ADD COLUMN last_error VARCHAR(1000) NULL,
  -- queue_claim.sql: WHERE processed = 0 AND available_at <= now ORDER BY available_at, id
  ADD INDEX certyo_queue_claim (processed, available_at),
  -- queue_claim_ordered.sql: earlier undelivered events of the same record
  ADD INDEX certyo_queue_record_order (table_name, record_id, processed, id),
  -- cleanup: delivered rows past retention
  ADD INDEX certyo_queue_cleanup (processed, delivered_at),
  -- cleanup and `dead` commands: dead letters by age
  ADD INDEX certyo_queue_dead (dead_at);
