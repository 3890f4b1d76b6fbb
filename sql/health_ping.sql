-- /readyz: the database answers. Touches no table.
SELECT 1
