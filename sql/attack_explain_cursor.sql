-- EXPLAIN ANALYZE of a statement that fetches from a cursor opened before
-- it. The cursor's query started, and passed its checks, outside any
-- EXPLAIN. Its scan of the base table runs at the first fetch, inside the
-- explained statement, whose buffer counts then show the size of the
-- private table. While a cursor on private data is open, a non-superuser
-- may not run EXPLAIN ANALYZE.
SET client_min_messages = warning;
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
SELECT ciam_privacy.create_analyst('regress_explain_cursor', 5) IS NOT NULL AS created;
CREATE SCHEMA regress_explain_cursor AUTHORIZATION regress_explain_cursor;
CREATE SCHEMA explain_cursor_private;
CREATE SCHEMA explain_cursor_public;
CREATE SCHEMA explain_cursor_views;
CREATE TABLE explain_cursor_private.customers AS
    SELECT g AS id, (ARRAY['DE', 'FR', 'US'])[g % 3 + 1] AS country
    FROM generate_series(1, 3000) g;
CREATE TABLE explain_cursor_public.countries (country text PRIMARY KEY);
INSERT INTO explain_cursor_public.countries VALUES ('DE'), ('FR'), ('US');
GRANT USAGE ON SCHEMA explain_cursor_public TO regress_explain_cursor;
GRANT SELECT ON explain_cursor_public.countries TO regress_explain_cursor;
CREATE VIEW explain_cursor_views.per_country WITH (security_barrier) AS
    SELECT k.country, ciam_privacy.dp_count(c.id, 0.25) AS customers
    FROM explain_cursor_public.countries k
    LEFT JOIN explain_cursor_private.customers c ON c.country = k.country
    GROUP BY k.country
    ORDER BY k.country;
SELECT ciam_privacy.grant_view('explain_cursor_views.per_country', 'regress_explain_cursor');

\c - regress_explain_cursor
SET client_min_messages = notice;
CREATE FUNCTION regress_explain_cursor.pull() RETURNS int
LANGUAGE plpgsql AS $$
DECLARE
    cur refcursor := 'c';
    r record;
BEGIN
    FETCH cur INTO r;
    RETURN 1;
END;
$$;

-- a cursor on the view's DP column, first fetched inside EXPLAIN ANALYZE
BEGIN;
DECLARE c CURSOR FOR SELECT * FROM explain_cursor_views.per_country;
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF, SUMMARY OFF)
    SELECT regress_explain_cursor.pull();
ROLLBACK;

-- a cursor that reads the view without its DP column scans the data too
BEGIN;
DECLARE c CURSOR FOR SELECT country FROM explain_cursor_views.per_country;
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF, SUMMARY OFF)
    SELECT regress_explain_cursor.pull();
ROLLBACK;

-- the same through a prepared statement
BEGIN;
DECLARE c CURSOR FOR SELECT * FROM explain_cursor_views.per_country;
PREPARE pull_once AS SELECT regress_explain_cursor.pull();
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF, TIMING OFF, SUMMARY OFF) EXECUTE pull_once;
ROLLBACK;

-- once the cursor is closed, EXPLAIN ANALYZE of other queries works again
BEGIN;
DECLARE c CURSOR FOR SELECT * FROM explain_cursor_views.per_country;
CLOSE c;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT 1;
COMMIT;
-- and so it does with a cursor that reads no private data
BEGIN;
DECLARE d CURSOR FOR SELECT country FROM explain_cursor_public.countries;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT 1;
COMMIT;

\c - postgres
SET client_min_messages = warning;
SELECT ciam_privacy.revoke_analyst('regress_explain_cursor');
DELETE FROM ciam_privacy.budget WHERE role = 'regress_explain_cursor'::regrole;
DROP SCHEMA explain_cursor_views, explain_cursor_public, explain_cursor_private CASCADE;
DROP SCHEMA regress_explain_cursor CASCADE;
DROP ROLE regress_explain_cursor;
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
