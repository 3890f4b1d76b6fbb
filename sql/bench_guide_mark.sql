-- bench::guide::drain: (guide baseline) the guide's `ingest_and_mark()` UPDATE, verbatim
-- but for the table name.
-- Parameters: the ids of the accepted rows ({ids}).
-- Placeholders: {ids} one bind marker per accepted queue row.
UPDATE certyo_guide_queue SET processed = TRUE WHERE id IN ({ids})
