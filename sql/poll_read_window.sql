-- poll: one page of the trailing window of a polled table: rows whose poll column is at
-- least the window's low end (?), after the page cursor ({after}: TRUE on the first
-- page, else (col, key) > the previous page's last row), in (col, key) order, at most ?
-- rows. Per row: the key columns as text (k0, k1, …), the stamp, the record id and the
-- payload exactly as the capture triggers render them (sql/capture_fragments.sql over
-- the bare table name, so LOCK TABLES needs no alias), and the digest of the compared
-- columns (payload without the poll column, ON UPDATE and generated columns) that
-- tells a new version from one already enqueued.
-- Index: the one led by the poll column (migrate refuses a table without it): a range
-- scan from the window's low end in index order, never a table scan.
-- Locks: nothing (a consistent read under READ COMMITTED: committed rows only).
SELECT {key_text},
       CAST({column} AS DATETIME(6)) AS stamp,
       CAST({record_id} AS CHAR) AS record_id,
       CAST({payload} AS CHAR) AS payload,
       SHA2(CAST({digest} AS CHAR), 256) AS digest
FROM {table}
WHERE {column} >= ? AND {after}
ORDER BY {column}, {order}
LIMIT ?
