-- migrate: the schema the connection works in (from the database URL).
SELECT DATABASE()
