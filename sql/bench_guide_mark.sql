-- bench, guide baseline: the guide's `ingest_and_mark()` UPDATE, verbatim but for the
-- table name; {ids} is one bind marker per accepted queue row.
UPDATE certyo_guide_queue SET processed = TRUE WHERE id IN ({ids})
