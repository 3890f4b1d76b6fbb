-- poll: in a page's transaction: enqueue the page's new versions as `upsert` events,
-- rendered again by the capture triggers' own expressions (an INSERT … SELECT, so a
-- JSON value keeps its types: MySQL keeps a DECIMAL's scale, which a round trip
-- through text would turn into a double). {keys} picks the rows by primary key (one
-- `(k0 = ? AND …)` per row, OR-ed), and only while their digest is still one read
-- ({digests}: ? per row): a row changed since the read is not enqueued here (the
-- caller sees fewer rows than asked, rolls the page back and reads it again).
-- {table_name} is the checked name as a string literal, {table} the quoted table.
-- Index: PRIMARY (the key equalities). Locks: the new queue rows until commit; the
-- source rows are read as a consistent read (READ COMMITTED), not locked.
INSERT INTO certyo_queue (table_name, record_id, op_type, payload)
SELECT '{table_name}', {record_id}, 'upsert', {payload}
FROM {table}
WHERE ({keys}) AND SHA2(CAST({digest} AS CHAR), 256) IN ({digests})
ORDER BY {column}, {order}
