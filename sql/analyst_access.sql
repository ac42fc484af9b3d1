-- A restricted analyst sees privatized views and nothing else of the data.
SET client_min_messages = warning;
CREATE ROLE regress_access_analyst LOGIN;
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
    GROUP BY k.country;
SELECT ciam_privacy.publish_view('access_views.customers_per_country', 'regress_access_analyst');
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
-- keys from generate_series and a filter on the keys are fine
CREATE VIEW access_views.per_age_band WITH (security_barrier) AS
    SELECT band, ciam_privacy.dp_count(c.id, 0.5) AS n
    FROM generate_series(0, 90, 10) band
    LEFT JOIN access_private.customers c ON c.age >= band AND c.age < band + 10
    WHERE band >= 10
    GROUP BY band;
SELECT ciam_privacy.publish_view('access_views.per_age_band', 'regress_access_analyst');

-- a table of personal data that the analyst can already read blocks the grant
GRANT SELECT (country) ON access_private.customers TO PUBLIC;
SELECT ciam_privacy.publish_view('access_views.customers_per_country', 'regress_access_analyst');
REVOKE SELECT (country) ON access_private.customers FROM PUBLIC;
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
-- aggregate: it sees the released rows (one per country), never a customer
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

-- EXPLAIN in any form would show counts from the data without noise
EXPLAIN SELECT * FROM access_views.customers_per_country;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) SELECT * FROM access_views.customers_per_country;
EXPLAIN (ANALYZE) SELECT * FROM access_views.customers_per_country WHERE country = 'DE';

-- three queries were charged: 1.0 for both columns, then 0.5 twice for
-- the customers column alone; EXPLAIN and the rejected statements charged
-- nothing
SELECT epsilon_spent FROM ciam_privacy.budget_status();

-- the view owner may still inspect plans
\c - postgres
SET client_min_messages = warning;
EXPLAIN (COSTS OFF) SELECT * FROM access_views.customers_per_country;

DELETE FROM ciam_privacy.budget WHERE role = 'regress_access_analyst'::regrole;
DROP SCHEMA access_views CASCADE;
DROP SCHEMA access_public CASCADE;
DROP SCHEMA access_private CASCADE;
DROP SCHEMA regress_access_analyst CASCADE;
DROP ROLE regress_access_analyst;
