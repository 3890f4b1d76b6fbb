-- bench, guide baseline: rows of the guide's table not yet processed.
SELECT COUNT(*) FROM certyo_guide_queue WHERE processed = FALSE
