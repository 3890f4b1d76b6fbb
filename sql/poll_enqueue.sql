-- capture::poll::enqueue: in a page's transaction: enqueue the page's new versions as
-- `upsert` events, rendered again by the capture triggers' own expressions (an INSERT …
-- SELECT, so a JSON value keeps its types: MySQL keeps a DECIMAL's scale, which a round
-- trip through text would turn into a double). Only while their digest is still one
-- read: a row changed since the read is not enqueued here (the caller sees fewer rows
-- than asked, rolls the page back and reads it again). Built by capture::poll::PollSql.
-- Index: PRIMARY (the key equalities). Locks: the new queue rows until commit; the
-- source rows are read as a consistent read (READ COMMITTED), not locked.
-- Parameters: the key values of each row, key columns in order, row after row (the ?
-- of {keys}), then each row's digest ({digests}).
-- Placeholders: {table_name} the checked name as a string literal; {table} the checked,
-- backtick-quoted table; {record_id}, {payload}, {digest} the capture triggers'
-- expressions over the bare table (the digest's leaves out the poll, ON UPDATE and
-- generated columns); {column} the quoted poll column; {order} the quoted key columns;
-- {keys} picks the rows by primary key, one `(k0 = ? AND …)` per row (eq of
-- poll_fragments.sql), OR-ed; {digests} one bind marker per row.
INSERT INTO certyo_queue (table_name, record_id, op_type, payload)
SELECT '{table_name}', {record_id}, 'upsert', {payload}
FROM {table}
WHERE ({keys}) AND SHA2(CAST({digest} AS CHAR), 256) IN ({digests})
ORDER BY {column}, {order}
