-- bench (binlog phase): the newest queue id, where the latency watcher starts. Index:
-- PRIMARY. No locks.
SELECT CAST(COALESCE(MAX(id), 0) AS SIGNED) FROM certyo_queue
