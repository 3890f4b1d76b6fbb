-- capture::binlog::enqueue: in an enqueue transaction: changes read from the binary
-- log, in log order, one queue row each. A row's payload is the JSON text, or on MySQL
-- a JSON_SET over that text putting each DECIMAL value back with its scale (MySQL's
-- JSON parser reads 12.50 as a double; the triggers' JSON_OBJECT keeps the DECIMAL).
-- Locks: the new queue rows until commit.
-- Parameters: per change: the table, the record id, the operation, the payload text,
-- then each DECIMAL value of that change
-- Placeholders: {rows} one `row` fragment of binlog_fragments.sql per change (at most
-- 200)
INSERT INTO certyo_queue (table_name, record_id, op_type, payload)
VALUES {rows}
