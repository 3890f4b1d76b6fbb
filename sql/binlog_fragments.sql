-- binlog capture: fragments of binlog_enqueue.sql's payload on MySQL, `name: template`.
-- {path} is a JSON path string literal body for a checked column name; {precision} and
-- {scale} the DECIMAL's, from the row event's table map.
row: (?, ?, ?, {payload})
payload_text: ?
payload_decimals: JSON_SET(CAST(? AS JSON), {pairs})
decimal_pair: '$."{name}"', CAST(? AS DECIMAL({precision}, {scale}))
