-- capture health: may this session see the schema's triggers? MySQL hides the rows of
-- information_schema.TRIGGERS, MariaDB their bodies, from users without the TRIGGER
-- privilege, so without it "no trigger" and "outdated body" mean nothing. 1 or more
-- when the current user holds TRIGGER globally or on this schema (by name; a grant
-- through a role, a wildcard schema pattern or on single tables is not recognised,
-- and the health is then reported as unknown). information_schema only, no locks.
SELECT CAST(
  (SELECT COUNT(*) FROM information_schema.USER_PRIVILEGES
    WHERE PRIVILEGE_TYPE = 'TRIGGER'
      AND GRANTEE = CONCAT('''', SUBSTRING_INDEX(CURRENT_USER(), '@', 1), '''@''',
                           SUBSTRING_INDEX(CURRENT_USER(), '@', -1), ''''))
  +
  (SELECT COUNT(*) FROM information_schema.SCHEMA_PRIVILEGES
    WHERE PRIVILEGE_TYPE = 'TRIGGER' AND TABLE_SCHEMA = ?
      AND GRANTEE = CONCAT('''', SUBSTRING_INDEX(CURRENT_USER(), '@', 1), '''@''',
                           SUBSTRING_INDEX(CURRENT_USER(), '@', -1), ''''))
  AS SIGNED) AS grants
