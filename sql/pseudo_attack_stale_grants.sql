-- A grant belongs to the key it was made for. When every version of a key
-- is destroyed, one at a time, and a key of the same name is created
-- again, the roles granted the old key must not get the new one.
SET client_min_messages = warning;
CREATE ROLE regress_stale_loader;
GRANT USAGE ON SCHEMA ciam_privacy TO regress_stale_loader;

SELECT ciam_privacy.create_key('regress_stale') AS v1,
       ciam_privacy.rotate_key('regress_stale') AS v2;
SELECT ciam_privacy.grant_key('regress_stale', 'regress_stale_loader');
SELECT ciam_privacy.destroy_key_version('regress_stale', 1);
SELECT ciam_privacy.destroy_key_version('regress_stale', 2);
-- Destroying the last version withdraws the grants, as destroy_key() does
SELECT count(*) AS grants_after_last_version
FROM ciam_privacy.pseudonym_key_grant WHERE key_name = 'regress_stale';

-- A grant row written by hand for a missing key does not survive creation
INSERT INTO ciam_privacy.pseudonym_key_grant
VALUES ('regress_stale', 'regress_stale_loader');
SELECT ciam_privacy.create_key('regress_stale') AS created_again;
SELECT count(*) AS grants_of_new_key
FROM ciam_privacy.pseudonym_key_grant WHERE key_name = 'regress_stale';
SET ROLE regress_stale_loader;
SELECT ciam_privacy.pseudonymize('alice'::text, 'regress_stale');
RESET ROLE;

-- A version destroyed while others remain keeps the grants
SELECT ciam_privacy.grant_key('regress_stale', 'regress_stale_loader');
SELECT ciam_privacy.rotate_key('regress_stale') AS v4;
SELECT ciam_privacy.destroy_key_version('regress_stale', 3);
SET ROLE regress_stale_loader;
SELECT ciam_privacy.pseudonymize('alice'::text, 'regress_stale') ~ '^v4:' AS still_granted;
RESET ROLE;

-- Clean up
SELECT ciam_privacy.destroy_key('regress_stale') AS destroyed;
REVOKE USAGE ON SCHEMA ciam_privacy FROM regress_stale_loader;
DROP ROLE regress_stale_loader;
