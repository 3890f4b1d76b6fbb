-- ops: fragments of the keyset-pagination queries of ops::backfill and ops::audit_sql.
-- A binary key column's value is kept as hex (key_hex) like its record_id. A composite
-- key (a, b) > (x, y) is written a > x OR (a = x AND b > y): a union of ranges on
-- PRIMARY.
-- Fragments: one per line as "name: template"; param and param_hex are the bind marker
-- of a key value: `?`, or `UNHEX(?)` for a binary key column.
-- Placeholders: {col} src.`column`, a checked, backtick-quoted primary-key column;
-- {param} the bind marker of its value (param or param_hex).
-- share_skip_* / share_wait_*: the shared-lock clause of a backfill's locking reads, per
-- engine (MySQL has FOR SHARE, MariaDB LOCK IN SHARE MODE; only MariaDB's older form
-- takes SKIP LOCKED, only MySQL's newer one).
key_text: CAST({col} AS CHAR)
key_hex: LOWER(HEX({col}))
param: ?
param_hex: UNHEX(?)
gt: {col} > {param}
lt: {col} < {param}
le: {col} <= {param}
eq: {col} = {param}
asc: {col}
desc: {col} DESC
everything: TRUE
share_skip_mysql: FOR SHARE SKIP LOCKED
share_skip_mariadb: LOCK IN SHARE MODE SKIP LOCKED
share_wait_mysql: FOR SHARE
share_wait_mariadb: LOCK IN SHARE MODE
