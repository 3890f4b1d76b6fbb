-- capture::triggers::generate: body of the AFTER UPDATE trigger, unless the write-back
-- marker is set and only when a business column changed (NULL-safe comparison; ON
-- UPDATE CURRENT_TIMESTAMP, generated and certyo_* tracking columns are not compared):
-- one `update` queue row with the new values; when the primary key changed, a `delete`
-- of the old record id (with the old values) and an `insert` of the new one instead, so
-- the old record's history ends. The DECLARE is the version marker (a string, so it
-- survives clients that strip comments).
-- Parameters: none
-- Placeholders: {marker} triggers::MARKER; {table_name} the checked table name, as the
-- body of a string literal; {unchanged} the compared business columns (same_value /
-- same_text of capture_fragments.sql joined by AND, or nothing_compared);
-- {key_unchanged} the same for the primary-key columns; {record_id_new},
-- {record_id_old} the record id expressions of NEW and OLD; {payload_new},
-- {payload_old} the payload expressions (JSON_OBJECT) of NEW and OLD.
BEGIN
  DECLARE certyo_capture_version VARCHAR(64) DEFAULT '{marker}';
  IF @certyo_queue_writeback IS NULL AND NOT ({unchanged}) THEN
    IF {key_unchanged} THEN
      INSERT INTO certyo_queue (table_name, record_id, op_type, payload)
      VALUES ('{table_name}', {record_id_new}, 'update', {payload_new});
    ELSE
      INSERT INTO certyo_queue (table_name, record_id, op_type, payload)
      VALUES ('{table_name}', {record_id_old}, 'delete', {payload_old}),
             ('{table_name}', {record_id_new}, 'insert', {payload_new});
    END IF;
  END IF;
END
