-- capture: expression fragments the trigger bodies and backfill are assembled from
-- (capture::render, capture::triggers). Every value is rendered explicitly from its
-- information_schema type (see render.rs and the README's table), so the payload is the
-- same on MySQL and MariaDB, from a trigger and from backfill, whatever the writer's
-- time_zone, sql_mode or character set. (MariaDB's UNIX_TIMESTAMP of a zero TIMESTAMP
-- is NULL inside a trigger, 0 elsewhere: both mean the zero value, which keeps its zero
-- form. MySQL's JSON writes an integral double as 16777216.0, MariaDB as 16777216: on
-- MySQL those become JSON integers, so the text matches too.) A TIMESTAMP is its
-- UNIX_TIMESTAMP (the stored instant, whatever the session's zone) added to the epoch
-- as a DATETIME and formatted: timestamp for whole seconds, timestamp_fraction (with
-- LEFT to the column's digits) otherwise; NULLIF sends the zero TIMESTAMP (0, or NULL
-- in a MariaDB trigger) to the zero form, and only one UNIX_TIMESTAMP is computed (the
-- 500-row insert's server CPU on the bench table fell from 0.15 to 0.07 s per 30,000
-- rows for this column, MariaDB).
-- Fragments: one per line as "name: template": column is a column of a row;
-- payload_pair and payload build the payload object; one rendering per type family
-- (integer ... digest_cast); timestamp_zero and timestamp_zero_fraction the zero
-- TIMESTAMP's text; record_id_composite for a composite key; same_value, same_text and
-- nothing_compared for the triggers' "did a column change" test. They bind nothing.
-- Placeholders: {row} OLD, NEW or src; {col} a checked, backtick-quoted column; {v} a
-- column of a row (the column fragment, e.g. NEW.`col`); {name} the column name as the
-- body of a string literal (names with quotes or backslashes are refused); {value} a
-- rendered value; {pairs} the payload_pair list; {zero}, {sep}, {len}, {suffix},
-- {zeros} the zero form, date-time separator (T in payloads, a space in record ids),
-- text length before the suffix, zone suffix (Z in payloads, nothing in record ids) and
-- one 0 per fraction digit of a TIMESTAMP; {wkt} the wkt or wkt_mysql rendering;
-- {values} the rendered key parts.
column: {row}.{col}
payload_pair: '{name}', {value}
payload: COALESCE(JSON_OBJECT({pairs}), JSON_OBJECT('certyo_error', 'payload larger than max_allowed_packet; anchor the large columns with migrate --digest-column'))
integer: {v}
decimal: {v}
float: {v} + 0e0
float_mysql: IF({v} + 0e0 = ROUND({v} + 0e0) AND ABS({v}) < 1e15, CAST(CAST({v} AS SIGNED) AS JSON), CAST({v} + 0e0 AS JSON))
temporal: CAST({v} AS CHAR)
timestamp_zero: 0000-00-00{sep}00:00:00{suffix}
timestamp_zero_fraction: 0000-00-00{sep}00:00:00.{zeros}{suffix}
timestamp: COALESCE(CONCAT(DATE_FORMAT(TIMESTAMP'1970-01-01 00:00:00' + INTERVAL NULLIF(UNIX_TIMESTAMP({v}), 0) SECOND, '%Y-%m-%d{sep}%H:%i:%s'), '{suffix}'), IF({v} IS NULL, NULL, '{zero}'))
timestamp_fraction: COALESCE(CONCAT(LEFT(DATE_FORMAT(TIMESTAMP'1970-01-01 00:00:00' + INTERVAL CAST(NULLIF(UNIX_TIMESTAMP({v}), 0) * 1000000 AS SIGNED) MICROSECOND, '%Y-%m-%d{sep}%H:%i:%s.%f'), {len}), '{suffix}'), IF({v} IS NULL, NULL, '{zero}'))
year: {v} + 0
bit: CAST({v} AS UNSIGNED)
text: CONVERT({v} USING utf8mb4)
as_text: CONVERT(CAST({v} AS CHAR) USING utf8mb4)
json: JSON_EXTRACT({v}, '$')
binary: CONVERT(REPLACE(TO_BASE64({v}), CHAR(10 USING ascii), '') USING utf8mb4)
hex: LOWER(HEX({v}))
spatial: IF(ST_SRID({v}) = 0, {wkt}, CONCAT('SRID=', ST_SRID({v}), ';', {wkt}))
wkt: ST_AsText({v})
wkt_mysql: IF(ST_GeometryType({v}) = 'MULTIPOINT', REPLACE(REPLACE(REPLACE(ST_AsText({v}), '),(', ','), '((', '('), '))', ')'), ST_AsText({v}))
digest_text: SHA2(CONVERT({v} USING utf8mb4), 256)
digest_binary: SHA2({v}, 256)
digest_cast: SHA2(CAST({v} AS BINARY), 256)
record_id_composite: JSON_ARRAY({values})
same_value: OLD.{col} <=> NEW.{col}
same_text: CAST(OLD.{col} AS BINARY) <=> CAST(NEW.{col} AS BINARY)
nothing_compared: FALSE
