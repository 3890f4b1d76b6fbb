-- bench::scratch::create: create the scratch database. Dropped by
-- bench_database_drop.sql when the run ends, also after an error or Ctrl-C.
-- Parameters: none
-- Placeholders: {db} the scratch database (a generated name, backtick-quoted).
CREATE DATABASE {db}
