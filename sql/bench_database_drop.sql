-- bench: drop the scratch database {db} (a generated certyo_bench_* name, quoted).
DROP DATABASE IF EXISTS {db}
