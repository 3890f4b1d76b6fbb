-- capture: body of the AFTER DELETE trigger: one queue row with the deleted row's
-- business columns, unless the write-back marker is set.
BEGIN
  DECLARE certyo_capture_version VARCHAR(64) DEFAULT '{marker}';
  IF @certyo_queue_writeback IS NULL THEN
    INSERT INTO certyo_queue (table_name, record_id, op_type, payload)
    VALUES ('{table_name}', {record_id_old}, 'delete', {payload_old});
  END IF;
END
