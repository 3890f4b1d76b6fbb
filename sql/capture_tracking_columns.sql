-- capture::plan_capture: the tracking columns and index every captured table gets. All
-- are NULL-able and never written by the capture triggers except to reset them (BEFORE
-- UPDATE) when a business column changes. certyo_verify serves the verification query
-- (status = 'Pending' AND ingested_at < cutoff).
-- certyo_payload_sha256 is the SHA-256 (lowercase hex) of the exact payload text the
-- delivered version carried, written back with the hash; `audit` compares it with the
-- current row rendered the same way.
-- Fragments: one per line as "name: clause", the column or index name and its ALTER
-- TABLE clause; the missing ones go into capture_alter_table.sql. No ? and no
-- placeholders.
certyo_record_hash: ADD COLUMN certyo_record_hash VARCHAR(128) NULL
certyo_anchor_status: ADD COLUMN certyo_anchor_status VARCHAR(20) NULL
certyo_verified_at: ADD COLUMN certyo_verified_at TIMESTAMP NULL DEFAULT NULL
certyo_ingested_at: ADD COLUMN certyo_ingested_at TIMESTAMP(6) NULL DEFAULT NULL
certyo_verify_next_at: ADD COLUMN certyo_verify_next_at TIMESTAMP(6) NULL DEFAULT NULL
certyo_payload_sha256: ADD COLUMN certyo_payload_sha256 CHAR(64) CHARACTER SET ascii NULL
certyo_verify: ADD INDEX certyo_verify (certyo_anchor_status, certyo_ingested_at)
