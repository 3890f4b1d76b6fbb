-- capture: body of the AFTER UPDATE trigger: one queue row with the new values when a
-- business column changed (NULL-safe comparison; ON UPDATE CURRENT_TIMESTAMP columns
-- and certyo_* tracking columns are not compared), unless the write-back marker is set.
BEGIN
  /* {marker} */
  IF @certyo_queue_writeback IS NULL AND NOT ({unchanged}) THEN
    INSERT INTO certyo_queue (table_name, record_id, op_type, payload)
    VALUES ('{table_name}', {record_id_new}, 'update', {payload_new});
  END IF;
END
