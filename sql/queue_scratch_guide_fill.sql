-- bench::guide::prepare: (guide baseline) copy the first ? rows of our queue (the same
-- products events our drain delivers) into the guide's table, pending. Scratch database
-- only.
-- Parameters: the number of rows.
INSERT INTO certyo_guide_queue (table_name, record_id, op_type, payload, created_at, processed)
SELECT table_name, record_id, op_type, payload, created_at, FALSE
FROM certyo_queue
WHERE op_type IN ('insert', 'update', 'delete')
ORDER BY id
LIMIT ?
