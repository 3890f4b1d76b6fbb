-- binlog capture: in an enqueue transaction: one change read from the binary log, table
-- ?, record id ?, operation ?; {payload} is `?` (the payload as JSON text), or on MySQL
-- a JSON_SET over that text putting each DECIMAL value back with its scale (MySQL's JSON
-- parser reads 12.50 as a double; the triggers' JSON_OBJECT keeps the DECIMAL).
-- Locks: the new queue row until commit.
INSERT INTO certyo_queue (table_name, record_id, op_type, payload)
VALUES (?, ?, ?, {payload})
