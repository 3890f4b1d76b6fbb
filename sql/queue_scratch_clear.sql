-- bench: empty the scratch database's queue (after the single-row insert sample, so the
-- queue then holds exactly the --rows rows). Scratch database only; a full scan.
DELETE FROM certyo_queue
