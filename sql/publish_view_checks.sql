-- publish_view() rejects views whose groups could overlap, whose keys the
-- analyst could change, and whose functions could run the analyst's code.
-- The planner uses no statistics of tables the analyst reaches only
-- through views.
SET client_min_messages = warning;
CREATE ROLE regress_checks_analyst LOGIN;
CREATE ROLE regress_checks_reader NOLOGIN;
DO $$
DECLARE
    other name;
BEGIN
    FOR other IN SELECT datname FROM pg_database
                 WHERE datallowconn AND datname <> current_database() LOOP
        EXECUTE format('REVOKE CONNECT ON DATABASE %I FROM PUBLIC', other);
    END LOOP;
END;
$$;
SELECT ciam_privacy.restrict_statistics();
CREATE SCHEMA checks_private;
CREATE SCHEMA checks_public;
CREATE SCHEMA checks_views;
GRANT USAGE ON SCHEMA checks_public, checks_views TO regress_checks_analyst;
CREATE TABLE checks_private.customers AS
    SELECT g AS id, (ARRAY['DE', 'FR', 'US'])[g % 3 + 1] AS country,
           (20 + g % 50)::numeric AS age,
           timestamp '2024-03-31 00:00' + g * interval '1 minute' AS seen_at
    FROM generate_series(1, 3000) g;
CREATE TABLE checks_public.countries (country text PRIMARY KEY);
INSERT INTO checks_public.countries VALUES ('DE'), ('FR'), ('US'), ('IT');
GRANT SELECT ON checks_public.countries TO regress_checks_analyst;
SELECT ciam_privacy.set_budget('regress_checks_analyst', 10);

-- the reference view passes
CREATE VIEW checks_views.per_country WITH (security_barrier) AS
    SELECT k.country, ciam_privacy.dp_count(c.id, 0.5) AS n
    FROM checks_public.countries k LEFT JOIN checks_private.customers c ON c.country = k.country
    GROUP BY k.country
    ORDER BY k.country;
SELECT ciam_privacy.publish_view('checks_views.per_country', 'regress_checks_analyst');

-- a view must sort by its keys: a hash aggregate emits groups in an order
-- that depends on the data
CREATE VIEW checks_views.unsorted WITH (security_barrier) AS
    SELECT k.country, ciam_privacy.dp_count(c.id, 0.5) AS n
    FROM checks_public.countries k LEFT JOIN checks_private.customers c ON c.country = k.country
    GROUP BY k.country;
SELECT ciam_privacy.publish_view('checks_views.unsorted', 'regress_checks_analyst');

-- keys equal under the join's operator though distinct as constants
CREATE VIEW checks_views.scaled_keys WITH (security_barrier) AS
    SELECT k.age, ciam_privacy.dp_count(c.id, 0.5) AS n
    FROM (VALUES (42.0), (42.00), (42.000)) k(age)
    LEFT JOIN checks_private.customers c ON c.age = k.age
    GROUP BY k.age;
SELECT ciam_privacy.publish_view('checks_views.scaled_keys', 'regress_checks_analyst');
CREATE VIEW checks_views.padded_keys WITH (security_barrier) AS
    SELECT k.code, ciam_privacy.dp_count(c.id, 0.5) AS n
    FROM (VALUES ('DE'::char(3)), ('DE '::char(3))) k(code)
    LEFT JOIN checks_private.customers c ON c.country::char(3) = k.code
    GROUP BY k.code;
SELECT ciam_privacy.publish_view('checks_views.padded_keys', 'regress_checks_analyst');
-- a collation other than the unique index's
CREATE COLLATION checks_public.loose (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
CREATE VIEW checks_views.loose_join WITH (security_barrier) AS
    SELECT k.country, ciam_privacy.dp_count(c.id, 0.5) AS n
    FROM checks_public.countries k
    LEFT JOIN checks_private.customers c ON c.country COLLATE checks_public.loose = k.country
    GROUP BY k.country;
SELECT ciam_privacy.publish_view('checks_views.loose_join', 'regress_checks_analyst');
-- an equality that depends on the TimeZone setting
CREATE VIEW checks_views.per_minute WITH (security_barrier) AS
    SELECT m, ciam_privacy.dp_count(c.id, 0.5) AS n
    FROM generate_series(timestamptz '2024-03-31 00:00+00', timestamptz '2024-03-31 01:00+00',
                         interval '1 minute') m
    LEFT JOIN checks_private.customers c ON c.seen_at = m
    GROUP BY m;
SELECT ciam_privacy.publish_view('checks_views.per_minute', 'regress_checks_analyst');
-- a set-returning function copies each group
CREATE VIEW checks_views.copies WITH (security_barrier) AS
    SELECT k.country, generate_series(1, 5) AS copy, ciam_privacy.dp_count(c.id, 0.5) AS n
    FROM checks_public.countries k LEFT JOIN checks_private.customers c ON c.country = k.country
    GROUP BY k.country, 2;
SELECT ciam_privacy.publish_view('checks_views.copies', 'regress_checks_analyst');
-- LATERAL lets each key choose its own overlapping rows
CREATE VIEW checks_views.lateral_bands WITH (security_barrier) AS
    SELECT b, ciam_privacy.dp_count(d.id, 0.5) AS n
    FROM generate_series(20, 60, 10) b
    LEFT JOIN LATERAL (SELECT c.id, b AS band FROM checks_private.customers c
                       WHERE c.age >= b AND c.age < b + 20) d ON d.band = b
    GROUP BY b;
SELECT ciam_privacy.publish_view('checks_views.lateral_bands', 'regress_checks_analyst');

-- key tables that the analyst owns or may change
CREATE TABLE checks_public.owned_keys (country text PRIMARY KEY);
ALTER TABLE checks_public.owned_keys OWNER TO regress_checks_analyst;
CREATE VIEW checks_views.owned WITH (security_barrier) AS
    SELECT k.country, ciam_privacy.dp_count(c.id, 0.5) AS n
    FROM checks_public.owned_keys k LEFT JOIN checks_private.customers c ON c.country = k.country
    GROUP BY k.country;
SELECT ciam_privacy.publish_view('checks_views.owned', 'regress_checks_analyst');
-- after publication, a grant that lets the analyst change the keys is rejected
GRANT DELETE ON checks_public.countries TO regress_checks_analyst;
-- a child table would add keys that the parent's unique index does not see
CREATE TABLE checks_public.country_children () INHERITS (checks_public.countries);

-- a unique index on an expression is skipped without being evaluated: the
-- function below would print a notice if it ran
CREATE FUNCTION checks_public.noisy_upper(text) RETURNS text
LANGUAGE plpgsql IMMUTABLE AS $$ BEGIN RAISE NOTICE 'evaluated'; RETURN upper($1); END $$;
CREATE TABLE checks_public.expression_keys (country text);
CREATE UNIQUE INDEX ON checks_public.expression_keys (checks_public.noisy_upper(country));
GRANT SELECT ON checks_public.expression_keys TO regress_checks_analyst;
CREATE VIEW checks_views.expression_keyed WITH (security_barrier) AS
    SELECT k.country, ciam_privacy.dp_count(c.id, 0.5) AS n
    FROM checks_public.expression_keys k LEFT JOIN checks_private.customers c ON c.country = k.country
    GROUP BY k.country;
SET client_min_messages = notice;
SELECT ciam_privacy.publish_view('checks_views.expression_keyed', 'regress_checks_analyst');
SET client_min_messages = warning;

-- functions: a search_path left to the caller, SECURITY DEFINER in the output
CREATE FUNCTION checks_public.decade(numeric) RETURNS numeric
LANGUAGE sql IMMUTABLE AS $$ SELECT floor($1 / 10) * 10 $$;
CREATE VIEW checks_views.per_decade WITH (security_barrier) AS
    SELECT d, ciam_privacy.dp_count(c.id, 0.5) AS n
    FROM generate_series(0::numeric, 90, 10) d
    LEFT JOIN checks_private.customers c ON checks_public.decade(c.age) = d
    GROUP BY d
    ORDER BY d;
SELECT ciam_privacy.publish_view('checks_views.per_decade', 'regress_checks_analyst');
ALTER FUNCTION checks_public.decade(numeric) SET search_path = pg_catalog;
SELECT ciam_privacy.publish_view('checks_views.per_decade', 'regress_checks_analyst');
CREATE FUNCTION checks_public.exact_count(text) RETURNS bigint
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog
AS $$ SELECT count(*) FROM checks_private.customers WHERE country = $1 $$;
CREATE VIEW checks_views.with_exact WITH (security_barrier) AS
    SELECT k.country, checks_public.exact_count(k.country) AS exact, ciam_privacy.dp_count(c.id, 0.5) AS n
    FROM checks_public.countries k LEFT JOIN checks_private.customers c ON c.country = k.country
    GROUP BY k.country;
SELECT ciam_privacy.publish_view('checks_views.with_exact', 'regress_checks_analyst');

-- key tables must be public as a whole: a grant on one column, or row-level
-- security, would let the view release what the analyst cannot read
CREATE TABLE checks_public.people (id int PRIMARY KEY, secret text);
GRANT SELECT (id) ON checks_public.people TO regress_checks_analyst;
CREATE VIEW checks_views.per_person WITH (security_barrier) AS
    SELECT p.id, p.secret, ciam_privacy.dp_count(c.id, 0.5) AS n
    FROM checks_public.people p LEFT JOIN checks_private.customers c ON c.id = p.id
    GROUP BY p.id, p.secret;
SELECT ciam_privacy.publish_view('checks_views.per_person', 'regress_checks_analyst');
CREATE TABLE checks_public.countries_rls (country text PRIMARY KEY);
ALTER TABLE checks_public.countries_rls ENABLE ROW LEVEL SECURITY;
CREATE POLICY only_de ON checks_public.countries_rls FOR SELECT TO regress_checks_analyst
    USING (country = 'DE');
GRANT SELECT ON checks_public.countries_rls TO regress_checks_analyst;
CREATE VIEW checks_views.per_country_rls WITH (security_barrier) AS
    SELECT k.country, ciam_privacy.dp_count(c.id, 0.5) AS n
    FROM checks_public.countries_rls k LEFT JOIN checks_private.customers c ON c.country = k.country
    GROUP BY k.country;
SELECT ciam_privacy.publish_view('checks_views.per_country_rls', 'regress_checks_analyst');

-- a cast to a domain runs the functions of its CHECK constraints
CREATE FUNCTION checks_public.is_age(numeric) RETURNS boolean
LANGUAGE sql IMMUTABLE AS 'SELECT $1 >= 0';
CREATE DOMAIN checks_public.age AS numeric CHECK (checks_public.is_age(VALUE));
CREATE VIEW checks_views.domain_cast WITH (security_barrier) AS
    SELECT k.country, ciam_privacy.dp_avg(c.age::checks_public.age, 18, 90, 0.5) AS mean_age
    FROM checks_public.countries k LEFT JOIN checks_private.customers c ON c.country = k.country
    GROUP BY k.country;
SELECT ciam_privacy.publish_view('checks_views.domain_cast', 'regress_checks_analyst');

-- a function hidden in a view that the view reads is checked as well, and
-- so is ALTER ROUTINE on it after publication
CREATE FUNCTION checks_public.decade_unpinned(numeric) RETURNS numeric
LANGUAGE sql IMMUTABLE AS $$ SELECT floor($1 / 10) * 10 $$;
CREATE VIEW checks_public.customers_by_decade AS
    SELECT id, checks_public.decade_unpinned(age) AS decade FROM checks_private.customers;
CREATE VIEW checks_views.nested WITH (security_barrier) AS
    SELECT d, ciam_privacy.dp_count(c.id, 0.5) AS n
    FROM generate_series(0::numeric, 90, 10) d
    LEFT JOIN checks_public.customers_by_decade c ON c.decade = d
    GROUP BY d
    ORDER BY d;
SELECT ciam_privacy.publish_view('checks_views.nested', 'regress_checks_analyst');
ALTER FUNCTION checks_public.decade_unpinned(numeric) SET search_path = pg_catalog;
SELECT ciam_privacy.publish_view('checks_views.nested', 'regress_checks_analyst');
ALTER ROUTINE checks_public.decade_unpinned(numeric) RESET search_path;

-- a role the analyst can SET ROLE to, even without INHERIT, counts as the analyst
GRANT SELECT ON checks_private.customers TO regress_checks_reader;
CREATE ROLE regress_checks_noinherit LOGIN NOINHERIT;
GRANT regress_checks_reader TO regress_checks_noinherit;
GRANT SELECT ON checks_public.countries TO regress_checks_noinherit;
SELECT ciam_privacy.publish_view('checks_views.per_country', 'regress_checks_noinherit');
REVOKE SELECT ON checks_public.countries FROM regress_checks_noinherit;
DROP ROLE regress_checks_noinherit;
CREATE ROLE regress_checks_stats LOGIN NOINHERIT;
GRANT pg_read_all_stats TO regress_checks_stats;
GRANT SELECT ON checks_public.countries TO regress_checks_stats;
SELECT ciam_privacy.publish_view('checks_views.per_country', 'regress_checks_stats');
REVOKE SELECT ON checks_public.countries FROM regress_checks_stats;
DROP ROLE regress_checks_stats;

-- pg_stat_statements counts the buffers each query read: installing it,
-- open to PUBLIC, while views are published is rejected
CREATE EXTENSION pg_stat_statements;

-- another database the analyst may connect to
GRANT CONNECT ON DATABASE template1 TO regress_checks_analyst;
SELECT ciam_privacy.check_published_view('checks_views.per_country', 'regress_checks_analyst');
REVOKE CONNECT ON DATABASE template1 FROM regress_checks_analyst;

-- the planner uses fixed statistics for tables the analyst reaches through
-- views: a view without DP aggregates shows the estimate (1,000,000 rows
-- assumed, against 3,000 real ones)
ANALYZE checks_private.customers;
CREATE VIEW checks_views.raw_rows AS SELECT id FROM checks_private.customers;
GRANT SELECT ON checks_views.raw_rows TO regress_checks_analyst;
CREATE VIEW checks_private.customers_countries AS SELECT country FROM checks_private.customers;
GRANT USAGE ON SCHEMA checks_private TO regress_checks_analyst;
GRANT SELECT ON checks_private.customers_countries TO regress_checks_analyst;
\c - regress_checks_analyst
SET client_min_messages = warning;
CREATE TEMP TABLE plan_lines (line text);
DO $$
DECLARE
    line text;
BEGIN
    FOR line IN EXECUTE 'EXPLAIN SELECT * FROM checks_views.raw_rows' LOOP
        INSERT INTO plan_lines VALUES (line);
    END LOOP;
END;
$$;
SELECT (regexp_match(line, 'rows=(\d+)'))[1]::int AS analyst_estimate
FROM plan_lines WHERE line LIKE 'Seq Scan%';
CREATE TEMP TABLE width_lines (line text);
DO $$
DECLARE
    line text;
BEGIN
    FOR line IN EXECUTE 'EXPLAIN SELECT country FROM checks_private.customers_countries' LOOP
        INSERT INTO width_lines VALUES (line);
    END LOOP;
END;
$$;
SELECT (regexp_match(line, 'width=(\d+)'))[1]::int AS analyst_width
FROM width_lines WHERE line LIKE 'Seq Scan%';
-- the size functions are revoked too
SELECT pg_database_size(current_database()) > 0;

-- a database created after publication, which event triggers do not see,
-- is caught when the analyst's next query starts
\c - postgres
CREATE DATABASE regress_checks_other;
\c - regress_checks_analyst
SET client_min_messages = warning;
SELECT count(n) AS groups FROM checks_views.per_country;
-- also a query that computes no DP column: its reads show in the counters
SELECT count(*) AS groups FROM checks_views.per_country;
\c - postgres
DROP DATABASE regress_checks_other;
\c - regress_checks_analyst
SET client_min_messages = warning;
SELECT count(n) AS groups FROM checks_views.per_country;

-- lowering client_min_messages between DECLARE and FETCH is caught
BEGIN;
DECLARE c CURSOR FOR SELECT * FROM checks_views.per_country;
SET LOCAL client_min_messages = log;
FETCH ALL FROM c;
ROLLBACK;

\c - postgres
SET client_min_messages = warning;
CREATE TEMP TABLE plan_lines (line text);
DO $$
DECLARE
    line text;
BEGIN
    FOR line IN EXECUTE 'EXPLAIN SELECT * FROM checks_views.raw_rows' LOOP
        INSERT INTO plan_lines VALUES (line);
    END LOOP;
END;
$$;
SELECT (regexp_match(line, 'rows=(\d+)'))[1]::int AS owner_estimate
FROM plan_lines WHERE line LIKE 'Seq Scan%';

DELETE FROM ciam_privacy.published_view;
DELETE FROM ciam_privacy.budget WHERE role = 'regress_checks_analyst'::regrole;
DROP SCHEMA checks_views CASCADE;
DROP SCHEMA checks_public CASCADE;
DROP SCHEMA checks_private CASCADE;
DROP ROLE regress_checks_analyst;
DROP ROLE regress_checks_reader;
DO $$
DECLARE
    other name;
BEGIN
    FOR other IN SELECT datname FROM pg_database
                 WHERE datallowconn AND datname <> current_database() LOOP
        EXECUTE format('GRANT CONNECT ON DATABASE %I TO PUBLIC', other);
    END LOOP;
END;
$$;
