-- capture::existing_triggers: every trigger of the schema whose name says it may be
-- ours; the caller keeps those whose body carries the certyo-queue marker or whose name
-- is one of ours. information_schema only. A prefix test, not LIKE 'certyo\_%': that
-- escape means nothing under NO_BACKSLASH_ESCAPES.
-- Parameters: the schema.
-- Returns: trigger_name, table_name, body (NULL without the TRIGGER privilege), timing,
-- event, one row per trigger, by table and name.
SELECT CAST(TRIGGER_NAME AS CHAR) AS trigger_name,
       CAST(EVENT_OBJECT_TABLE AS CHAR) AS table_name,
       CAST(ACTION_STATEMENT AS CHAR) AS body,
       CAST(ACTION_TIMING AS CHAR) AS timing,
       CAST(EVENT_MANIPULATION AS CHAR) AS event
FROM information_schema.TRIGGERS
WHERE TRIGGER_SCHEMA = ? AND LEFT(TRIGGER_NAME, 7) = 'certyo_'
ORDER BY EVENT_OBJECT_TABLE, TRIGGER_NAME
