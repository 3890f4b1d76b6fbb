-- capture::triggers::generate: body of the BEFORE UPDATE trigger: when a business
-- column changes outside the worker's write-back, the row's tracking state belongs to a
-- replaced version, so clear it (verification must never confirm a version that was
-- since replaced).
-- Parameters: none
-- Placeholders: {marker} triggers::MARKER; {unchanged} the compared business columns
-- (same_value / same_text of capture_fragments.sql joined by AND, or nothing_compared).
BEGIN
  DECLARE certyo_capture_version VARCHAR(64) DEFAULT '{marker}';
  IF @certyo_queue_writeback IS NULL AND NOT ({unchanged}) THEN
    SET NEW.certyo_anchor_status = NULL,
        NEW.certyo_ingested_at = NULL,
        NEW.certyo_record_hash = NULL,
        NEW.certyo_verify_next_at = NULL,
        NEW.certyo_verified_at = NULL;
  END IF;
END
