-- capture::triggers::generate: body of the AFTER DELETE trigger: one queue row with the
-- deleted row's business columns, unless the write-back marker is set.
-- Parameters: none
-- Placeholders: {marker} triggers::MARKER; {table_name} the checked table name, as the
-- body of a string literal; {record_id_old} the record id expression of OLD;
-- {payload_old} the payload expression (JSON_OBJECT, capture_fragments.sql) of OLD.
BEGIN
  DECLARE certyo_capture_version VARCHAR(64) DEFAULT '{marker}';
  IF @certyo_queue_writeback IS NULL THEN
    INSERT INTO certyo_queue (table_name, record_id, op_type, payload)
    VALUES ('{table_name}', {record_id_old}, 'delete', {payload_old});
  END IF;
END
