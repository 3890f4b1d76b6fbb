-- binlog capture: in an enqueue transaction: changes read from the binary log, in log
-- order, one `{row}` per change: (table ?, record id ?, operation ?, {payload}), where
-- {payload} is `?` (the payload as JSON text), or on MySQL a JSON_SET over that text
-- putting each DECIMAL value back with its scale (MySQL's JSON parser reads 12.50 as a
-- double; the triggers' JSON_OBJECT keeps the DECIMAL). Locks: the new queue rows until
-- commit.
INSERT INTO certyo_queue (table_name, record_id, op_type, payload)
VALUES {rows}
