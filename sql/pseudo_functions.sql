-- pseudonymize() and its helpers: output format, NULLs, stability, type
-- separation, rotation, destruction, grants, analysts refused, tampered
-- rows, generalization and k-anonymity. Pseudonyms are random per key, so
-- they are shown as booleans.
SET client_min_messages = warning;
SELECT ciam_privacy.create_key('regress_a') AS version_a,
       ciam_privacy.create_key('regress_b') AS version_b;
SELECT ciam_privacy.create_key('regress_a');

-- Format: "v<version>:" and 64 lower-case hexadecimal digits
SELECT ciam_privacy.pseudonymize('alice'::text, 'regress_a') ~ '^v1:[0-9a-f]{64}$' AS text_format,
       ciam_privacy.pseudonymize('\x00ff'::bytea, 'regress_a') ~ '^v1:[0-9a-f]{64}$' AS bytea_format,
       ciam_privacy.pseudonymize(42, 'regress_a') ~ '^v1:[0-9a-f]{64}$' AS bigint_format,
       ciam_privacy.pseudonymize('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid, 'regress_a')
           ~ '^v1:[0-9a-f]{64}$' AS uuid_format,
       ciam_privacy.pseudonymize('192.0.2.1'::inet, 'regress_a') ~ '^v1:[0-9a-f]{64}$' AS inet_format;

-- NULL in, NULL out; the empty string is a value
SELECT ciam_privacy.pseudonymize(NULL::text, 'regress_a') IS NULL AS text_null,
       ciam_privacy.pseudonymize(NULL::bytea, 'regress_a') IS NULL AS bytea_null,
       ciam_privacy.pseudonymize(NULL::bigint, 'regress_a') IS NULL AS bigint_null,
       ciam_privacy.pseudonymize(NULL::uuid, 'regress_a') IS NULL AS uuid_null,
       ciam_privacy.pseudonymize(NULL::inet, 'regress_a') IS NULL AS inet_null,
       ciam_privacy.pseudonymize_email(NULL, 'regress_a') IS NULL AS email_null;
SELECT ciam_privacy.pseudonymize(''::text, 'regress_a') IS NOT NULL AS empty_text_has_pseudonym,
       ciam_privacy.pseudonymize(''::bytea, 'regress_a') IS NOT NULL AS empty_bytea_has_pseudonym,
       ciam_privacy.pseudonymize(''::text, 'regress_a')
           <> ciam_privacy.pseudonymize(' '::text, 'regress_a') AS empty_differs_from_space;

-- Stable within a statement and across statements and transactions
CREATE TEMP TABLE first_run AS
SELECT g, ciam_privacy.pseudonymize(g::text, 'regress_a') AS p
FROM generate_series(1, 1000) AS g;
SELECT count(*) AS rows_equal_in_second_run
FROM first_run
WHERE p = ciam_privacy.pseudonymize(g::text, 'regress_a');
SELECT count(DISTINCT p) AS distinct_pseudonyms FROM first_run;
SELECT count(DISTINCT ciam_privacy.pseudonymize(g % 10, 'regress_a')) AS distinct_of_ten
FROM generate_series(1, 1000) AS g;

-- Each input type has its own derived key: equal bytes, different pseudonyms
SELECT ciam_privacy.pseudonymize('42'::text, 'regress_a')
           <> ciam_privacy.pseudonymize(42::bigint, 'regress_a') AS text_vs_bigint,
       ciam_privacy.pseudonymize('42'::text, 'regress_a')
           <> ciam_privacy.pseudonymize(convert_to('42', 'UTF8'), 'regress_a') AS text_vs_bytea,
       ciam_privacy.pseudonymize(42::bigint, 'regress_a')
           <> ciam_privacy.pseudonymize('\x000000000000002a'::bytea, 'regress_a') AS bigint_vs_bytea,
       ciam_privacy.pseudonymize(42::integer, 'regress_a')
           = ciam_privacy.pseudonymize(42::bigint, 'regress_a') AS integer_as_bigint,
       ciam_privacy.pseudonymize('192.0.2.1'::inet, 'regress_a')
           = ciam_privacy.pseudonymize('192.0.2.1/32'::inet, 'regress_a') AS host_is_slash_32,
       ciam_privacy.pseudonymize('192.0.2.1'::inet, 'regress_a')
           <> ciam_privacy.pseudonymize('192.0.2.1/24'::inet, 'regress_a') AS prefix_matters,
       ciam_privacy.pseudonymize('192.0.2.1'::inet, 'regress_a')
           <> ciam_privacy.pseudonymize('::ffff:192.0.2.1'::inet, 'regress_a') AS ipv4_vs_mapped_ipv6;

-- Different keys give different pseudonyms
SELECT ciam_privacy.pseudonymize('alice'::text, 'regress_a')
           <> ciam_privacy.pseudonymize('alice'::text, 'regress_b') AS keys_differ,
       (SELECT count(*) FROM generate_series(1, 1000) AS g
        WHERE ciam_privacy.pseudonymize(g, 'regress_a') = ciam_privacy.pseudonymize(g, 'regress_b'))
           AS equal_under_both_keys;

-- Declared STABLE, never IMMUTABLE
SELECT p.oid::regprocedure AS function, p.provolatile, p.proparallel
FROM pg_proc AS p
WHERE p.pronamespace = 'ciam_privacy'::regnamespace
  AND p.proname IN ('pseudonymize', 'pseudonymize_email')
ORDER BY p.oid::regprocedure::text COLLATE "C";

-- Argument errors
SELECT ciam_privacy.pseudonymize('alice'::text, NULL);
SELECT ciam_privacy.pseudonymize('alice'::text, '');
SELECT ciam_privacy.pseudonymize('alice'::text, 'bad name; DROP TABLE x');
SELECT ciam_privacy.pseudonymize('alice'::text, repeat('k', 64));
SELECT ciam_privacy.pseudonymize('alice'::text, 'regress_missing');
SELECT ciam_privacy.pseudonymize('alice'::text, 'regress_a', 0);
SELECT ciam_privacy.pseudonymize('alice'::text, 'regress_a', NULL);
SELECT ciam_privacy.pseudonymize('alice'::text, 'regress_a', 2);

-- Email: local part pseudonymized, domain kept in lower case
SELECT ciam_privacy.pseudonymize_email('John.Doe@Example.COM', 'regress_a')
           ~ '^v1\.[0-9a-f]{32}@example\.com$' AS email_format,
       split_part(ciam_privacy.pseudonymize_email('john@a.example', 'regress_a'), '@', 1)
           = split_part(ciam_privacy.pseudonymize_email('john@b.example', 'regress_a'), '@', 1)
           AS same_local_part_same_pseudonym,
       ciam_privacy.pseudonymize_email('john@a.example', 'regress_a')
           <> ciam_privacy.pseudonymize_email('John@a.example', 'regress_a') AS local_part_case_kept,
       ciam_privacy.pseudonymize_email('"a@b"@example.com', 'regress_a')
           ~ '^v1\.[0-9a-f]{32}@example\.com$' AS last_at_splits;
-- Errors never quote the address
SELECT ciam_privacy.pseudonymize_email('no-at-sign.example', 'regress_a');
SELECT ciam_privacy.pseudonymize_email('@example.com', 'regress_a');
SELECT ciam_privacy.pseudonymize_email('someone@', 'regress_a');

-- Rotation: a new version becomes current; the old one stays usable by number
CREATE TEMP TABLE before_rotation AS
SELECT ciam_privacy.pseudonymize('alice'::text, 'regress_a') AS p;
SELECT ciam_privacy.rotate_key('regress_a') AS new_version;
SELECT ciam_privacy.rotate_key('regress_missing');
SELECT ciam_privacy.pseudonymize('alice'::text, 'regress_a') ~ '^v2:' AS current_is_v2,
       ciam_privacy.pseudonymize('alice'::text, 'regress_a') <> (SELECT p FROM before_rotation)
           AS v2_differs,
       substr(ciam_privacy.pseudonymize('alice'::text, 'regress_a'), 4)
           <> substr((SELECT p FROM before_rotation), 4) AS digests_differ,
       ciam_privacy.pseudonymize('alice'::text, 'regress_a', 1) = (SELECT p FROM before_rotation)
           AS v1_by_number_unchanged;
SELECT key_name, version, origin, current
FROM ciam_privacy.pseudonym_keys
WHERE key_name LIKE 'regress\_%'
ORDER BY key_name, version;

-- Re-pseudonymize a table: recompute from the source values, then destroy v1
CREATE TEMP TABLE visits AS
SELECT g AS customer_id, ciam_privacy.pseudonymize(g, 'regress_a', 1) AS visitor
FROM generate_series(1, 100) AS g;
UPDATE visits SET visitor = ciam_privacy.pseudonymize(customer_id, 'regress_a');
SELECT count(*) FILTER (WHERE visitor LIKE 'v2:%') AS rows_on_v2 FROM visits;

-- Destruction: the row is gone and version 1 cannot be used any more
SELECT ciam_privacy.destroy_key_version('regress_a', 1);
SELECT count(*) AS rows_of_v1
FROM ciam_privacy.pseudonym_key WHERE key_name = 'regress_a' AND version = 1;
SELECT ciam_privacy.pseudonymize('alice'::text, 'regress_a', 1);
SELECT ciam_privacy.destroy_key_version('regress_a', 1);
SELECT ciam_privacy.pseudonymize('alice'::text, 'regress_a') ~ '^v2:' AS v2_still_works;
-- Destroying the current version makes the previous one current again
SELECT ciam_privacy.rotate_key('regress_a') AS version_3;
SELECT ciam_privacy.destroy_key_version('regress_a', 3);
SELECT ciam_privacy.pseudonymize('alice'::text, 'regress_a') ~ '^v2:' AS v2_current_again;
-- A destruction that rolls back keeps the key
BEGIN;
SELECT ciam_privacy.destroy_key('regress_b');
ROLLBACK;
SELECT ciam_privacy.pseudonymize('alice'::text, 'regress_b') ~ '^v1:' AS b_kept_after_rollback;
-- Key changes apply at once in their own transaction, and a version
-- rolled back with its savepoint is not used afterwards
BEGIN;
SELECT ciam_privacy.pseudonymize('alice'::text, 'regress_b') ~ '^v1:' AS before_rotation;
SAVEPOINT before_rotation;
SELECT ciam_privacy.rotate_key('regress_b') AS rotated_to;
SELECT ciam_privacy.pseudonymize('alice'::text, 'regress_b') ~ '^v2:' AS after_rotation;
ROLLBACK TO SAVEPOINT before_rotation;
SELECT ciam_privacy.pseudonymize('alice'::text, 'regress_b') ~ '^v1:' AS after_rollback;
SELECT ciam_privacy.pseudonymize('alice'::text, 'regress_b', 2);
COMMIT;

-- Tampered rows: a wrapped key copied under another name or version, or a
-- row claiming another root key, is rejected
INSERT INTO ciam_privacy.pseudonym_key (key_name, version, origin, root_key_id, wrapped_key)
SELECT 'regress_copy', 1, origin, root_key_id, wrapped_key
FROM ciam_privacy.pseudonym_key WHERE key_name = 'regress_b' AND version = 1;
SELECT ciam_privacy.pseudonymize('alice'::text, 'regress_copy');
INSERT INTO ciam_privacy.pseudonym_key (key_name, version, origin, root_key_id, wrapped_key)
SELECT key_name, 7, origin, root_key_id, wrapped_key
FROM ciam_privacy.pseudonym_key WHERE key_name = 'regress_b' AND version = 1;
SELECT ciam_privacy.pseudonymize('alice'::text, 'regress_b', 7);
UPDATE ciam_privacy.pseudonym_key SET root_key_id = '\x00000000000000000000000000000000'
WHERE key_name = 'regress_copy';
SELECT ciam_privacy.pseudonymize('alice'::text, 'regress_copy');
UPDATE ciam_privacy.pseudonym_key
SET root_key_id = (SELECT root_key_id FROM ciam_privacy.root_key_status()),
    wrapped_key = substr(wrapped_key, 1, 20)
WHERE key_name = 'regress_copy';
SELECT ciam_privacy.pseudonymize('alice'::text, 'regress_copy');
DELETE FROM ciam_privacy.pseudonym_key
WHERE key_name = 'regress_copy' OR (key_name = 'regress_b' AND version = 7);

-- Grants: a granted role may pseudonymize; others, and analysts, may not
CREATE ROLE regress_pseudo_loader;
CREATE ROLE regress_pseudo_member IN ROLE regress_pseudo_loader;
CREATE ROLE regress_pseudo_other;
CREATE ROLE regress_pseudo_analyst LOGIN;
SELECT ciam_privacy.set_budget('regress_pseudo_analyst', 1);
GRANT USAGE ON SCHEMA ciam_privacy TO regress_pseudo_loader, regress_pseudo_other,
    regress_pseudo_analyst;
SELECT ciam_privacy.grant_key('regress_a', 'regress_pseudo_loader');
SELECT ciam_privacy.grant_key('regress_a', 'regress_pseudo_analyst');
SELECT ciam_privacy.grant_key('regress_missing', 'regress_pseudo_loader');
SELECT ciam_privacy.grant_key('regress_a', '-');

SET ROLE regress_pseudo_loader;
SELECT ciam_privacy.pseudonymize('alice'::text, 'regress_a') ~ '^v2:' AS loader_allowed;
SELECT ciam_privacy.pseudonymize('alice'::text, 'regress_b');
SELECT ciam_privacy.pseudonymize('alice'::text, 'regress_missing');
SELECT * FROM ciam_privacy.pseudonym_key;
SELECT ciam_privacy.create_key('regress_loader_key');
SELECT ciam_privacy.grant_key('regress_b', 'regress_pseudo_loader');
RESET ROLE;

SET ROLE regress_pseudo_member;
SELECT ciam_privacy.pseudonymize(7, 'regress_a') ~ '^v2:' AS member_allowed;
RESET ROLE;

SET ROLE regress_pseudo_other;
SELECT ciam_privacy.pseudonymize('alice'::text, 'regress_a');
SELECT ciam_privacy.pseudonymize_email('a@example.com', 'regress_a');
RESET ROLE;

-- A grant row written by hand does not let an analyst in either
INSERT INTO ciam_privacy.pseudonym_key_grant VALUES ('regress_a', 'regress_pseudo_analyst');
SET ROLE regress_pseudo_analyst;
SELECT ciam_privacy.pseudonymize('alice'::text, 'regress_a');
SELECT ciam_privacy.pseudonymize('alice'::text, 'regress_a', 2);
SELECT * FROM ciam_privacy.pseudonym_key_grant;
SELECT * FROM ciam_privacy.pseudonym_keys;
SELECT ciam_privacy.k_anonymity('ciam_privacy.budget', ARRAY['role']);
RESET ROLE;

-- The check follows the current role within one transaction
BEGIN;
SELECT ciam_privacy.pseudonymize('alice'::text, 'regress_a') ~ '^v2:' AS superuser_allowed;
SET LOCAL ROLE regress_pseudo_other;
SELECT ciam_privacy.pseudonymize('alice'::text, 'regress_a');
ROLLBACK;

-- Revoking takes effect at the next transaction
SELECT ciam_privacy.revoke_key('regress_a', 'regress_pseudo_loader');
SET ROLE regress_pseudo_loader;
SELECT ciam_privacy.pseudonymize('alice'::text, 'regress_a');
RESET ROLE;

-- Parallel workers unwrap the key themselves and agree with the leader
CREATE TABLE regress_parallel AS SELECT g FROM generate_series(1, 20000) AS g;
ANALYZE regress_parallel;
GRANT SELECT ON regress_parallel TO regress_pseudo_other;
SELECT sum(hashtext(ciam_privacy.pseudonymize(g, 'regress_a'))) AS serial_sum
FROM regress_parallel \gset
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF)
SELECT sum(hashtext(ciam_privacy.pseudonymize(g, 'regress_a'))) FROM regress_parallel;
SELECT sum(hashtext(ciam_privacy.pseudonymize(g, 'regress_a'))) = :serial_sum
           AS parallel_equals_serial
FROM regress_parallel;
-- Terse: the error may come from a worker, whose context line differs
\set VERBOSITY terse
SET ROLE regress_pseudo_other;
SELECT sum(hashtext(ciam_privacy.pseudonymize(g, 'regress_a'))) FROM regress_parallel;
RESET ROLE;
\set VERBOSITY default
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
DROP TABLE regress_parallel;

------------------------------------------------------------------------
-- Generalization
------------------------------------------------------------------------

SELECT ciam_privacy.generalize_ip('192.0.2.77') AS ipv4_default,
       ciam_privacy.generalize_ip('192.0.2.77', 16) AS ipv4_16,
       ciam_privacy.generalize_ip('10.1.0.0/12', 24) AS wider_network_kept,
       ciam_privacy.generalize_ip('2001:db8:1234:5678::1') AS ipv6_default,
       ciam_privacy.generalize_ip('2001:db8:1234:5678::1', 24, 32) AS ipv6_32,
       ciam_privacy.generalize_ip(NULL) IS NULL AS null_kept;
SELECT ciam_privacy.generalize_ip('192.0.2.77', 33);
SELECT ciam_privacy.generalize_ip('192.0.2.77', 24, -1);

SELECT ciam_privacy.generalize_date(date '2015-05-17', 'day') AS by_day,
       ciam_privacy.generalize_date(date '2015-05-17', 'month') AS by_month,
       ciam_privacy.generalize_date(date '2015-05-17', 'year') AS by_year,
       ciam_privacy.generalize_date(NULL::date, 'year') IS NULL AS null_kept;
SET TimeZone = 'UTC';
SELECT ciam_privacy.generalize_date(timestamptz '2015-12-31 23:30:00+00', 'year') AS utc_year;
SET TimeZone = 'Asia/Tokyo';
SELECT ciam_privacy.generalize_date(timestamptz '2015-12-31 23:30:00+00', 'year') AS tokyo_year;
RESET TimeZone;
SELECT ciam_privacy.generalize_date(date '2015-05-17', 'week');

SELECT ciam_privacy.band(34, 10) AS age_34,
       ciam_privacy.band(-5, 10) AS minus_5,
       ciam_privacy.band(34, 10, 18, 90) AS from_18,
       ciam_privacy.band(17, 10, 18, 90) AS below_lower,
       ciam_privacy.band(90, 10, 18, 90) AS at_upper,
       ciam_privacy.band(85, 10, 18, 90) AS capped_at_upper,
       ciam_privacy.band(123456789012::bigint, 1000000::bigint) AS big,
       ciam_privacy.band(2.75, 0.5) AS numeric_band,
       ciam_privacy.band(NULL::integer, 10) IS NULL AS null_kept;
SELECT ciam_privacy.band(34, 0);
SELECT ciam_privacy.band(34, 10, 90, 18);
SELECT ciam_privacy.band('NaN'::numeric, 1);

------------------------------------------------------------------------
-- k-anonymity
------------------------------------------------------------------------

CREATE TABLE regress_people (zip text, "birth year" integer, sex text, name text);
INSERT INTO regress_people
SELECT '1000' || (g % 3), 1980 + g % 2, CASE WHEN g % 5 = 0 THEN 'F' ELSE 'M' END, 'p' || g
FROM generate_series(1, 60) AS g;
CREATE VIEW regress_people_view AS SELECT zip, sex FROM regress_people;
SELECT ciam_privacy.k_anonymity('regress_people', ARRAY['zip']) AS k_zip,
       ciam_privacy.k_anonymity('regress_people', ARRAY['zip', 'birth year']) AS k_zip_year,
       ciam_privacy.k_anonymity('regress_people', ARRAY['zip', 'birth year', 'sex']) AS k_three,
       ciam_privacy.k_anonymity('regress_people', ARRAY['name']) AS k_unique,
       ciam_privacy.k_anonymity('regress_people_view', ARRAY['sex']) AS k_view;
SELECT ciam_privacy.k_anonymity('regress_people', ARRAY['zip) FROM pg_authid --']);
SELECT ciam_privacy.k_anonymity('regress_people', ARRAY['zip', 'zip']);
SELECT ciam_privacy.k_anonymity('regress_people', ARRAY[]::text[]);
SELECT ciam_privacy.k_anonymity('regress_people', ARRAY['zip', NULL]);
SELECT ciam_privacy.k_anonymity('regress_people', ARRAY['ctid']);
TRUNCATE regress_people;
SELECT ciam_privacy.k_anonymity('regress_people', ARRAY['zip']) IS NULL AS empty_is_null;

-- Clean up
DROP VIEW regress_people_view;
DROP TABLE regress_people;
SELECT ciam_privacy.destroy_key('regress_a') AS versions_a,
       ciam_privacy.destroy_key('regress_b') AS versions_b;
SELECT count(*) AS grants_left FROM ciam_privacy.pseudonym_key_grant
WHERE key_name IN ('regress_a', 'regress_b');
DELETE FROM ciam_privacy.budget WHERE role = 'regress_pseudo_analyst'::regrole;
REVOKE USAGE ON SCHEMA ciam_privacy FROM regress_pseudo_loader, regress_pseudo_other,
    regress_pseudo_analyst;
DROP ROLE regress_pseudo_member, regress_pseudo_loader, regress_pseudo_other,
    regress_pseudo_analyst;
