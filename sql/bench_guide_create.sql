-- bench::guide::prepare: (guide baseline) the integration guide's queue table, exactly
-- as its Step 1 creates `certyo_queue` (same columns, same idx_unprocessed index), under
-- another name so that it sits next to ours in the scratch database.
-- Parameters: none
CREATE TABLE certyo_guide_queue (
  id BIGINT AUTO_INCREMENT PRIMARY KEY,
  table_name VARCHAR(100) NOT NULL,
  record_id VARCHAR(100) NOT NULL,
  op_type ENUM('insert', 'update', 'delete') NOT NULL,
  payload JSON NOT NULL,
  created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
  processed BOOLEAN DEFAULT FALSE,
  INDEX idx_unprocessed (processed, created_at)
) ENGINE=InnoDB
