-- capture::triggers::generate: body of the AFTER INSERT trigger: one queue row with the
-- new row's business columns, unless the worker's write-back marker is set. Inserts into
-- certyo_queue in the writer's transaction (row lock on the new queue row only).
-- Parameters: none
-- Placeholders: {marker} triggers::MARKER; {table_name} the checked table name, as the
-- body of a string literal; {record_id_new} the record id expression of NEW;
-- {payload_new} the payload expression (JSON_OBJECT, capture_fragments.sql) of NEW.
BEGIN
  DECLARE certyo_capture_version VARCHAR(64) DEFAULT '{marker}';
  IF @certyo_queue_writeback IS NULL THEN
    INSERT INTO certyo_queue (table_name, record_id, op_type, payload)
    VALUES ('{table_name}', {record_id_new}, 'insert', {payload_new});
  END IF;
END
