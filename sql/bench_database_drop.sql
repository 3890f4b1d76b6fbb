-- bench::scratch::drop_named: drop the scratch database.
-- Parameters: none
-- Placeholders: {db} the scratch database (a generated certyo_bench_* name, quoted).
DROP DATABASE IF EXISTS {db}
