-- capture::poll::poll_page: one page of the trailing window of a polled table: rows
-- whose poll column is at least the window's low end (?), after the page cursor, in
-- (col, key) order, at most ? rows. Per row: the key columns as text (k0, k1, …), the
-- stamp, the record id and the payload exactly as the capture triggers render them
-- (sql/capture_fragments.sql over the bare table name, so LOCK TABLES needs no alias),
-- and the digest of the compared columns (payload without the poll column, ON UPDATE
-- and generated columns) that tells a new version from one already enqueued. Built by
-- capture::poll::PollSql.
-- Index: the one led by the poll column (migrate refuses a table without it): a range
-- scan from the window's low end in index order, never a table scan.
-- Locks: nothing (a consistent read under READ COMMITTED: committed rows only).
-- Parameters: the window's low end, then the cursor's stamp and key values as {after}
-- asks for them (none on the first page), then the page size.
-- Placeholders: {key_text} the key columns as text, `… AS k0, …` (key_text / key_hex of
-- poll_fragments.sql); {column} the quoted poll column; {record_id}, {payload},
-- {digest} the capture triggers' expressions over the bare table; {table} the checked,
-- backtick-quoted table; {order} the quoted key columns; {after} TRUE on the first
-- page, else (col, key) > the previous page's last row (gt / eq of poll_fragments.sql).
-- Returns: k0, k1, … (the key as text), stamp, record_id, payload, digest, in (col, key)
-- order, at most the page size.
SELECT {key_text},
       CAST({column} AS DATETIME(6)) AS stamp,
       CAST({record_id} AS CHAR) AS record_id,
       CAST({payload} AS CHAR) AS payload,
       SHA2(CAST({digest} AS CHAR), 256) AS digest
FROM {table}
WHERE {column} >= ? AND {after}
ORDER BY {column}, {order}
LIMIT ?
