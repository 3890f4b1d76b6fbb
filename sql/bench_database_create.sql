-- bench: create the scratch database {db} (a generated name, backtick-quoted). Dropped
-- by bench_database_drop.sql when the run ends, also after an error or Ctrl-C.
CREATE DATABASE {db}
