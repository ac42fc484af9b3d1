-- Version numbers of a key are never given twice. A pseudonym names the
-- version that made it ("v2:..."), so a new version that reused the number
-- of a destroyed one would make the old pseudonyms look current, and the
-- rotation check "no row left outside v2:" would pass on shredded rows.
SET client_min_messages = warning;

-- Destroy the current version, then rotate: the new version gets a new number
SELECT ciam_privacy.create_key('regress_reuse') AS v1,
       ciam_privacy.rotate_key('regress_reuse') AS v2;
CREATE TEMP TABLE shredded AS
SELECT ciam_privacy.pseudonymize('alice'::text, 'regress_reuse') AS p;
SELECT ciam_privacy.destroy_key_version('regress_reuse', 2);
SELECT ciam_privacy.rotate_key('regress_reuse') AS after_destroying_v2;
SELECT ciam_privacy.pseudonymize('alice'::text, 'regress_reuse') ~ '^v3:' AS current_is_v3,
       left((SELECT p FROM shredded), 3) = 'v2:' AS shredded_still_says_v2;
SELECT ciam_privacy.pseudonymize('alice'::text, 'regress_reuse', 2);

-- Destroy every version, one at a time, and create the key again: its
-- versions continue after the highest number ever used
SELECT ciam_privacy.destroy_key_version('regress_reuse', 1);
SELECT ciam_privacy.destroy_key_version('regress_reuse', 3);
SELECT ciam_privacy.create_key('regress_reuse') AS created_again;
SELECT key_name, version, current FROM ciam_privacy.pseudonym_keys
WHERE key_name = 'regress_reuse';

-- The same after destroy_key()
SELECT ciam_privacy.destroy_key('regress_reuse') AS destroyed;
SELECT ciam_privacy.create_key('regress_reuse') AS created_after_destroy_key;
SELECT ciam_privacy.pseudonymize('alice'::text, 'regress_reuse') ~ '^v5:' AS current_is_v5;

-- A dump keeps the last version numbers, so a restore keeps counting
SELECT count(*) AS dumped_tables
FROM pg_extension AS e, unnest(e.extconfig) AS c(oid)
WHERE e.extname = 'ciam_privacy'
  AND c.oid = 'ciam_privacy.pseudonym_key_last_version'::regclass;

-- Clean up
SELECT ciam_privacy.destroy_key('regress_reuse') AS destroyed;
