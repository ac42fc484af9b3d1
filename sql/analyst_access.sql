-- A restricted analyst reads privatized views and nothing else of the data.
SET client_min_messages = warning;
CREATE ROLE regress_access_analyst LOGIN;
-- the statistics of any database count the rows read in this one: the
-- analyst may connect to this database only
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
-- the analyst's own schema, first in their search_path ("$user")
CREATE SCHEMA regress_access_analyst AUTHORIZATION regress_access_analyst;
CREATE SCHEMA access_private;
CREATE SCHEMA access_public;
CREATE SCHEMA access_views;
GRANT USAGE ON SCHEMA access_public, access_views TO regress_access_analyst;
CREATE TABLE access_private.customers AS
    SELECT g AS id, (ARRAY['DE', 'FR', 'US'])[g % 3 + 1] AS country, 20 + g % 50 AS age
    FROM generate_series(1, 3000) g;
-- the public list of keys: every country appears, with or without customers
CREATE TABLE access_public.countries (country text PRIMARY KEY);
INSERT INTO access_public.countries VALUES ('DE'), ('FR'), ('US'), ('IT');
GRANT SELECT ON access_public.countries TO regress_access_analyst;

CREATE VIEW access_views.customers_per_country WITH (security_barrier) AS
    SELECT k.country,
           ciam_privacy.dp_count(c.id, 0.5) AS customers,
           ciam_privacy.dp_avg(c.age, 18, 90, 0.5) AS mean_age
    FROM access_public.countries k
    LEFT JOIN access_private.customers c ON c.country = k.country
    GROUP BY k.country
    ORDER BY k.country;
-- per-table statistics count rows without noise: publishing waits until
-- they are restricted
SELECT ciam_privacy.publish_view('access_views.customers_per_country', 'regress_access_analyst');
SELECT ciam_privacy.restrict_statistics();
-- a table of personal data that the analyst can already read blocks the grant
GRANT SELECT (country) ON access_private.customers TO PUBLIC;
SELECT ciam_privacy.publish_view('access_views.customers_per_country', 'regress_access_analyst');
REVOKE SELECT (country) ON access_private.customers FROM PUBLIC;
-- published before the analyst has a budget: a notice reports it
SET client_min_messages = notice;
SELECT ciam_privacy.publish_view('access_views.customers_per_country', 'regress_access_analyst');
SET client_min_messages = warning;
SELECT view, analyst FROM ciam_privacy.published_view;
SELECT ciam_privacy.set_budget('regress_access_analyst', 20);

-- publish_view rejects views that could release rows or exact values
CREATE VIEW access_views.no_barrier AS
    SELECT ciam_privacy.dp_count(0.5) AS n FROM access_private.customers;
SELECT ciam_privacy.publish_view('access_views.no_barrier', 'regress_access_analyst');
CREATE VIEW access_views.exact_count WITH (security_barrier) AS
    SELECT k.country, count(c.id) AS n, ciam_privacy.dp_count(c.id, 0.5) AS dp
    FROM access_public.countries k LEFT JOIN access_private.customers c USING (country)
    GROUP BY k.country;
SELECT ciam_privacy.publish_view('access_views.exact_count', 'regress_access_analyst');
CREATE VIEW access_views.sub_select WITH (security_barrier) AS
    SELECT ciam_privacy.dp_count(0.5) AS n, (SELECT max(age) FROM access_private.customers) AS oldest
    FROM access_private.customers;
SELECT ciam_privacy.publish_view('access_views.sub_select', 'regress_access_analyst');
CREATE VIEW access_views.rows_only WITH (security_barrier) AS
    SELECT country FROM access_private.customers;
SELECT ciam_privacy.publish_view('access_views.rows_only', 'regress_access_analyst');
CREATE VIEW access_views.exact_having WITH (security_barrier) AS
    SELECT ciam_privacy.dp_count(0.5) AS n FROM access_private.customers HAVING count(*) > 1000;
SELECT ciam_privacy.publish_view('access_views.exact_having', 'regress_access_analyst');
SELECT ciam_privacy.publish_view('access_private.customers', 'regress_access_analyst');

-- grouping keys must be public and must all reach the output
CREATE VIEW access_views.private_keys WITH (security_barrier) AS
    SELECT id, ciam_privacy.dp_count(0.5) AS n FROM access_private.customers GROUP BY id;
SELECT ciam_privacy.publish_view('access_views.private_keys', 'regress_access_analyst');
CREATE VIEW access_views.data_keys WITH (security_barrier) AS
    SELECT country, ciam_privacy.dp_count(0.5) AS n FROM access_private.customers GROUP BY country;
SELECT ciam_privacy.publish_view('access_views.data_keys', 'regress_access_analyst');
CREATE VIEW access_views.inner_join WITH (security_barrier) AS
    SELECT k.country, ciam_privacy.dp_count(0.5) AS n
    FROM access_public.countries k JOIN access_private.customers c ON c.country = k.country
    GROUP BY k.country;
SELECT ciam_privacy.publish_view('access_views.inner_join', 'regress_access_analyst');
CREATE VIEW access_views.data_filter WITH (security_barrier) AS
    SELECT k.country, ciam_privacy.dp_count(c.id, 0.5) AS n
    FROM access_public.countries k LEFT JOIN access_private.customers c ON c.country = k.country
    WHERE c.age > 60
    GROUP BY k.country;
SELECT ciam_privacy.publish_view('access_views.data_filter', 'regress_access_analyst');
CREATE VIEW access_views.keys_on_wrong_side WITH (security_barrier) AS
    SELECT k.country, ciam_privacy.dp_count(k.country, 0.5) AS n
    FROM access_private.customers c LEFT JOIN access_public.countries k ON c.country = k.country
    GROUP BY k.country;
SELECT ciam_privacy.publish_view('access_views.keys_on_wrong_side', 'regress_access_analyst');
-- keys from generate_series or VALUES, compared by equality, and a filter
-- on the keys are fine
CREATE VIEW access_views.per_age_band WITH (security_barrier) AS
    SELECT band, ciam_privacy.dp_count(c.id, 0.5) AS n
    FROM generate_series(0, 90, 10) band
    LEFT JOIN access_private.customers c ON (c.age / 10) * 10 = band
    WHERE band >= 10
    GROUP BY band
    ORDER BY band;
SELECT ciam_privacy.publish_view('access_views.per_age_band', 'regress_access_analyst');
CREATE VIEW access_views.per_listed_country WITH (security_barrier) AS
    SELECT k.code, ciam_privacy.dp_count(c.id, 0.5) AS n
    FROM (VALUES ('DE'), ('FR')) k(code)
    LEFT JOIN access_private.customers c ON c.country = k.code
    GROUP BY k.code
    ORDER BY k.code;
SELECT ciam_privacy.publish_view('access_views.per_listed_country', 'regress_access_analyst');

-- a data row that matches several keys would count in several groups
CREATE VIEW access_views.overlapping_bands WITH (security_barrier) AS
    SELECT band, ciam_privacy.dp_count(c.id, 0.5) AS n
    FROM generate_series(0, 90, 5) band
    LEFT JOIN access_private.customers c ON c.age >= band AND c.age < band + 10
    GROUP BY band;
SELECT ciam_privacy.publish_view('access_views.overlapping_bands', 'regress_access_analyst');
CREATE VIEW access_views.duplicate_keys WITH (security_barrier) AS
    SELECT k.code, ciam_privacy.dp_count(c.id, 0.5) AS n
    FROM (VALUES ('DE'), ('DE'), ('FR')) k(code)
    LEFT JOIN access_private.customers c ON c.country = k.code
    GROUP BY k.code;
SELECT ciam_privacy.publish_view('access_views.duplicate_keys', 'regress_access_analyst');
CREATE TABLE access_public.country_list (country text);
GRANT SELECT ON access_public.country_list TO regress_access_analyst;
CREATE VIEW access_views.keys_without_unique_index WITH (security_barrier) AS
    SELECT k.country, ciam_privacy.dp_count(c.id, 0.5) AS n
    FROM access_public.country_list k
    LEFT JOIN access_private.customers c ON c.country = k.country
    GROUP BY k.country;
SELECT ciam_privacy.publish_view('access_views.keys_without_unique_index', 'regress_access_analyst');

-- subqueries anywhere that the released values or the keys depend on
CREATE VIEW access_views.key_from_subquery WITH (security_barrier) AS
    SELECT k.name, ciam_privacy.dp_count(c.id, 0.5) AS n
    FROM unnest(ARRAY[(SELECT max(country) FROM access_private.customers)]) k(name)
    LEFT JOIN access_private.customers c ON c.country = k.name
    GROUP BY k.name;
SELECT ciam_privacy.publish_view('access_views.key_from_subquery', 'regress_access_analyst');
CREATE VIEW access_views.series_from_subquery WITH (security_barrier) AS
    SELECT g, ciam_privacy.dp_count(c.id, 0.5) AS n
    FROM generate_series(1, (SELECT count(*) FROM access_private.customers WHERE age = 42)::int) g
    LEFT JOIN access_private.customers c ON c.id = g
    GROUP BY g;
SELECT ciam_privacy.publish_view('access_views.series_from_subquery', 'regress_access_analyst');
CREATE VIEW access_views.key_is_subquery WITH (security_barrier) AS
    SELECT k.country, (SELECT count(*) FROM access_private.customers x WHERE x.country = k.country) AS exact,
           ciam_privacy.dp_count(c.id, 0.5) AS n
    FROM access_public.countries k LEFT JOIN access_private.customers c ON c.country = k.country
    GROUP BY k.country, 2;
SELECT ciam_privacy.publish_view('access_views.key_is_subquery', 'regress_access_analyst');
CREATE VIEW access_views.where_exists WITH (security_barrier) AS
    SELECT k.country, ciam_privacy.dp_count(c.id, 0.5) AS n
    FROM access_public.countries k LEFT JOIN access_private.customers c ON c.country = k.country
    WHERE EXISTS (SELECT FROM access_private.customers x WHERE x.country = k.country AND x.age = 42)
    GROUP BY k.country;
SELECT ciam_privacy.publish_view('access_views.where_exists', 'regress_access_analyst');
CREATE VIEW access_views.exact_order WITH (security_barrier) AS
    SELECT k.country, ciam_privacy.dp_count(c.id, 0.5) AS n
    FROM access_public.countries k LEFT JOIN access_private.customers c ON c.country = k.country
    GROUP BY k.country ORDER BY count(c.id) LIMIT 2;
SELECT ciam_privacy.publish_view('access_views.exact_order', 'regress_access_analyst');
CREATE VIEW access_views.limit_subquery WITH (security_barrier) AS
    SELECT k.country, ciam_privacy.dp_count(c.id, 0.5) AS n
    FROM access_public.countries k LEFT JOIN access_private.customers c ON c.country = k.country
    GROUP BY k.country LIMIT (SELECT count(*) FROM access_private.customers WHERE age = 42);
SELECT ciam_privacy.publish_view('access_views.limit_subquery', 'regress_access_analyst');
CREATE VIEW access_views.distinct_on WITH (security_barrier) AS
    SELECT DISTINCT ON (1 = 1) k.country, ciam_privacy.dp_count(c.id, 0.5) AS n
    FROM access_public.countries k LEFT JOIN access_private.customers c ON c.country = k.country
    GROUP BY k.country ORDER BY 1 = 1, max(c.age) DESC;
SELECT ciam_privacy.publish_view('access_views.distinct_on', 'regress_access_analyst');
-- ordering by a noisy value (then by the key) and a constant LIMIT are
-- post-processing
CREATE VIEW access_views.noisy_top WITH (security_barrier) AS
    SELECT k.country, ciam_privacy.dp_count(c.id, 0.5) AS n
    FROM access_public.countries k LEFT JOIN access_private.customers c ON c.country = k.country
    GROUP BY k.country ORDER BY 2 DESC, 1 LIMIT 2;
SELECT ciam_privacy.publish_view('access_views.noisy_top', 'regress_access_analyst');

-- once a view is published, a grant that would let the analyst read its
-- personal data is rejected
GRANT SELECT (country) ON access_private.customers TO PUBLIC;
-- a published view cannot be changed into an unsafe one afterwards
CREATE OR REPLACE VIEW access_views.customers_per_country WITH (security_barrier) AS
    SELECT k.country,
           count(c.id) AS customers,
           ciam_privacy.dp_avg(c.age, 18, 90, 0.5) AS mean_age
    FROM access_public.countries k
    LEFT JOIN access_private.customers c ON c.country = k.country
    GROUP BY k.country
    ORDER BY k.country;
ALTER VIEW access_views.customers_per_country SET (security_barrier = false);
GRANT SELECT ON access_private.customers TO regress_access_analyst;
SELECT has_table_privilege('regress_access_analyst', 'access_private.customers', 'SELECT') AS granted;
-- unpublishing revokes the grant and deletes the record of the view
SELECT ciam_privacy.unpublish_view('access_views.noisy_top', 'regress_access_analyst');
SELECT has_table_privilege('regress_access_analyst', 'access_views.noisy_top', 'SELECT') AS granted;
SELECT view, analyst FROM ciam_privacy.published_view ORDER BY view::text COLLATE "C";

-- an analyst cannot publish
\c - regress_access_analyst
SELECT ciam_privacy.publish_view('access_views.customers_per_country', 'regress_access_analyst');

-- the view works and every key appears
SET client_min_messages = warning;
SELECT country, customers >= 0 AS counted, mean_age BETWEEN 18 AND 90 AS bounded
FROM access_views.customers_per_country ORDER BY country COLLATE "C";
SELECT epsilon_spent FROM ciam_privacy.budget_status();

-- base tables, budget internals and support functions are out of reach
SELECT count(*) FROM access_private.customers;
SELECT count(*) FROM ciam_privacy.budget;
SELECT count(*) FROM ciam_privacy.budgets;
SELECT count(*) FROM ciam_privacy.published_view;
-- nor statistics that count rows without noise
SELECT pg_stat_get_tuples_returned('access_private.customers'::regclass);
SELECT pg_stat_get_xact_tuples_fetched('access_private.customers'::regclass);
SELECT n_live_tup FROM pg_stat_user_tables WHERE relname = 'customers';
SELECT reltuples FROM pg_class WHERE relname = 'customers';
SELECT pg_relation_size('access_private.customers');
SELECT count(*) > 0 AS catalog_still_readable FROM pg_class WHERE relname = 'customers';
SELECT ciam_privacy.set_budget('regress_access_analyst', 1000);
SELECT ciam_privacy.dp_count_finalfn(5);
UPDATE ciam_privacy.budget SET epsilon_spent_nanos = 0;
DELETE FROM ciam_privacy.budget;
-- an aggregate of one's own built on the support functions, in the
-- analyst's own schema
CREATE AGGREGATE exact_avg(float8, float8, float8, float8) (
    SFUNC = ciam_privacy.dp_avg_transfn, STYPE = internal,
    FINALFUNC = ciam_privacy.dp_avg_serialize);
CREATE AGGREGATE reuse_final(int8) (
    SFUNC = int8pl, STYPE = int8, FINALFUNC = ciam_privacy.dp_count_finalfn);

-- a leaky function or operator of the analyst's, even one that wins name
-- resolution through the search_path, cannot be pushed below the view's
-- aggregate: it receives the released rows (one per country), never a customer
SET search_path = regress_access_analyst, pg_catalog, access_views;
CREATE FUNCTION access_leak(text) RETURNS boolean
LANGUAGE plpgsql COST 0.0000001 AS $$
BEGIN
    RAISE NOTICE 'saw %', $1;
    RETURN true;
END;
$$;
CREATE FUNCTION leaky_equal(text, text) RETURNS boolean
LANGUAGE plpgsql COST 0.0000001 AS $$
BEGIN
    RAISE NOTICE 'compared %', $1;
    RETURN $1 OPERATOR(pg_catalog.=) $2;
END;
$$;
CREATE OPERATOR regress_access_analyst.= (LEFTARG = text, RIGHTARG = text, FUNCTION = leaky_equal);
SET client_min_messages = notice;
SET enable_hashagg = off;
SELECT country, customers >= 0 AS counted
FROM customers_per_country WHERE access_leak(country) ORDER BY country COLLATE "C";
SELECT country, customers >= 0 AS counted FROM customers_per_country WHERE country = 'DE';
SET client_min_messages = warning;
RESET enable_hashagg;
RESET search_path;

-- EXPLAIN in any form would show counts from the data without noise, also
-- for a query that reads no DP column of the view
EXPLAIN SELECT * FROM access_views.customers_per_country;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) SELECT * FROM access_views.customers_per_country;
EXPLAIN (ANALYZE) SELECT * FROM access_views.customers_per_country WHERE country = 'DE';
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) SELECT country FROM access_views.customers_per_country;
EXPLAIN (COSTS OFF) SELECT count(*) FROM access_views.per_age_band;
PREPARE plan_me AS SELECT country FROM access_views.customers_per_country;
EXPLAIN EXECUTE plan_me;
DO $$ BEGIN EXECUTE 'EXPLAIN ANALYZE SELECT country FROM access_views.customers_per_country'; END $$;

-- a query nested in an explained one, through a function, counts as
-- explained: the outer plan's buffer counts include its reads
CREATE FUNCTION regress_access_analyst.free_count() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    n bigint;
BEGIN
    SELECT count(*) INTO n FROM access_views.customers_per_country;
    RETURN n;
END;
$$;
SELECT regress_access_analyst.free_count();
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT regress_access_analyst.free_count();
SELECT regress_access_analyst.free_count();

-- log and debug messages: the plan that debug_print_plan prints never
-- reaches the analyst, and queries with client_min_messages below notice
-- are rejected (trace_sort would print row counts)
SET debug_print_plan = on;
SET client_min_messages = log;
SELECT country FROM access_views.customers_per_country WHERE false;
SET client_min_messages = warning;
SELECT count(*) AS released FROM access_views.customers_per_country;
SET debug_print_plan = off;

-- charged so far: 1.0 for both columns, then 0.5 twice for the customers
-- column alone. count(*) over the output computes no DP column and costs
-- nothing. EXPLAIN and the rejected statements cost nothing either.
SELECT epsilon_spent FROM ciam_privacy.budget_status();

-- the view owner may still inspect plans
\c - postgres
SET client_min_messages = warning;
EXPLAIN (COSTS OFF) SELECT * FROM access_views.customers_per_country;

DELETE FROM ciam_privacy.budget WHERE role = 'regress_access_analyst'::regrole;
DELETE FROM ciam_privacy.published_view;
DROP SCHEMA access_views CASCADE;
DROP SCHEMA access_public CASCADE;
DROP SCHEMA access_private CASCADE;
DROP SCHEMA regress_access_analyst CASCADE;
DROP ROLE regress_access_analyst;
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
