-- bench::binlog::watch: (binlog phase) queue rows of table ? after queue id ?, for the
-- commit -> enqueued latency watcher. Index: PRIMARY (id range). No locks.
-- Parameters: the table name, the last queue id seen.
-- Returns: id, record_id, in id order.
SELECT CAST(id AS SIGNED) AS id, CAST(record_id AS CHAR) AS record_id
FROM certyo_queue
WHERE table_name = ? AND id > ?
ORDER BY id
