-- migrate: take the server-wide named lock for this schema's migrate (name includes the
-- schema), waiting up to ? seconds. 1 = got it, 0 = timed out.
SELECT GET_LOCK(?, ?)
