-- capture::binlog::enqueue: fragments of binlog_enqueue.sql: one queue row per change,
-- and its payload on MySQL (JSON_SET over the payload text, each DECIMAL value cast
-- back with its precision and scale from the row event's table map).
-- Fragments: one per line as "name: template"; row is one change (its three ? bind the
-- table, the record id and the operation), payload_text the payload as text (?),
-- payload_decimals the payload with its DECIMALs put back (? the payload text),
-- decimal_pair one DECIMAL (? its value).
-- Placeholders: {payload} payload_text or payload_decimals; {pairs} the decimal_pair
-- list; {name} a checked column name as the body of a JSON path string; {precision},
-- {scale} the DECIMAL's.
row: (?, ?, ?, {payload})
payload_text: ?
payload_decimals: JSON_SET(CAST(? AS JSON), {pairs})
decimal_pair: '$."{name}"', CAST(? AS DECIMAL({precision}, {scale}))
