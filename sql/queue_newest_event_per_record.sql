-- ops::audit::gone_in_snapshot: records of table ? whose newest queue row (delivered or
-- not, dead or not) is not a delete, after record id ? (paging), at most ? of them: if
-- such a record's source row is gone, it went without a delete event (deleted while
-- capture was off, by a cascade, by a session with the capture marker set). Rows
-- cleaned up after retention are not seen. Index: certyo_queue_record_order
-- (table_name, record_id, processed, id) for the newest id per record; PRIMARY for its
-- row.
-- Locks: nothing (consistent read, in the audit's snapshot).
-- Parameters: the table name, the last record id of the previous page ('' at first),
-- the page size.
-- Returns: record_id, id, op_type, processed, one row per record, by record_id.
SELECT CAST(q.record_id AS CHAR) AS record_id, q.id, CAST(q.op_type AS CHAR) AS op_type,
       q.processed
FROM (
  SELECT record_id, MAX(id) AS id
  FROM certyo_queue
  WHERE table_name = ? AND record_id > ?
  GROUP BY record_id
  ORDER BY record_id
  LIMIT ?
) AS newest
JOIN certyo_queue AS q ON q.id = newest.id
ORDER BY newest.record_id
