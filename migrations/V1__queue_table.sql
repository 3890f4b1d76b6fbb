-- The queue table exactly as the public integration guide creates it.
-- IF NOT EXISTS: a certyo_queue made by the guide's own SQL is adopted as it is, rows
-- and all; V2 then adds what the worker needs. One DDL statement per file, because
-- MySQL commits DDL implicitly and a half-applied file could not be re-run.
CREATE TABLE IF NOT EXISTS certyo_queue (
  id BIGINT AUTO_INCREMENT PRIMARY KEY,
  table_name VARCHAR(100) NOT NULL,
  record_id VARCHAR(100) NOT NULL,
  op_type ENUM('insert', 'update', 'delete') NOT NULL,
  payload JSON NOT NULL,
  created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
  processed BOOLEAN DEFAULT FALSE,
  INDEX idx_unprocessed (processed, created_at)
) ENGINE=InnoDB;
