-- Server-wide statistics counters after restrict_statistics(). A DP query
-- on a table that is not in shared buffers allocates one buffer per page
-- it reads, so pg_stat_get_buf_alloc() before and after the query gives
-- the table's size in pages, which pg_relation_size() no longer shows.
-- pg_stat_wal counts the WAL that the query's page pruning writes, like
-- the WAL position that is revoked too. The other counters of
-- pg_stat_bgwriter and pg_stat_slru move with a query's reads as well.
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
SELECT ciam_privacy.create_analyst('regress_counters', 5) IS NOT NULL AS created;
CREATE SCHEMA counters_private;
CREATE SCHEMA counters_public;
CREATE SCHEMA counters_views;
CREATE TABLE counters_private.customers AS
    SELECT g AS id, (ARRAY['DE', 'FR'])[g % 2 + 1] AS country
    FROM generate_series(1, 100) g;
CREATE TABLE counters_public.countries (country text PRIMARY KEY);
INSERT INTO counters_public.countries VALUES ('DE'), ('FR');
GRANT USAGE ON SCHEMA counters_public TO regress_counters;
GRANT SELECT ON counters_public.countries TO regress_counters;
CREATE VIEW counters_views.per_country WITH (security_barrier) AS
    SELECT k.country, ciam_privacy.dp_count(c.id, 0.5) AS customers
    FROM counters_public.countries k
    LEFT JOIN counters_private.customers c ON c.country = k.country
    GROUP BY k.country
    ORDER BY k.country;
SELECT ciam_privacy.grant_view('counters_views.per_country', 'regress_counters');

\c - regress_counters
SELECT pg_stat_get_buf_alloc() >= 0 AS readable;
SELECT buffers_alloc >= 0 AS readable FROM pg_stat_bgwriter;
SELECT wal_records >= 0 AS readable FROM pg_stat_wal;
SELECT count(*) >= 0 AS readable FROM pg_stat_slru;
SELECT pg_stat_get_buf_written_backend() >= 0 AS readable;
SELECT pg_stat_get_checkpoint_write_time() >= 0 AS readable;
-- monitoring roles keep them
SELECT has_function_privilege('pg_read_all_stats', 'pg_stat_get_buf_alloc()', 'EXECUTE') AS monitoring,
       has_function_privilege('pg_read_all_stats', 'pg_stat_get_wal()', 'EXECUTE') AS monitoring_wal;

\c - postgres
SET client_min_messages = warning;
-- granting the counters back to PUBLIC is rejected while the view is
-- published, because the analyst would no longer pass its checks
GRANT EXECUTE ON FUNCTION pg_stat_get_buf_alloc() TO PUBLIC;
GRANT EXECUTE ON FUNCTION pg_stat_get_wal() TO PUBLIC;
SELECT has_function_privilege('regress_counters', 'pg_stat_get_buf_alloc()', 'EXECUTE') AS analyst_reads_buffers,
       has_function_privilege('regress_counters', 'pg_stat_get_wal()', 'EXECUTE') AS analyst_reads_wal;
-- restrict_statistics() runs again while the view is published
SELECT ciam_privacy.restrict_statistics();
-- and publishing to an analyst who can read them is refused
SELECT ciam_privacy.unpublish_view('counters_views.per_country', 'regress_counters');
GRANT EXECUTE ON FUNCTION pg_stat_get_buf_alloc() TO PUBLIC;
SELECT ciam_privacy.publish_view('counters_views.per_country', 'regress_counters');
REVOKE EXECUTE ON FUNCTION pg_stat_get_buf_alloc() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION pg_stat_get_wal() TO PUBLIC;
SELECT ciam_privacy.publish_view('counters_views.per_country', 'regress_counters');
REVOKE EXECUTE ON FUNCTION pg_stat_get_wal() FROM PUBLIC;
SELECT ciam_privacy.publish_view('counters_views.per_country', 'regress_counters');

SELECT ciam_privacy.revoke_analyst('regress_counters');
DELETE FROM ciam_privacy.budget WHERE role = 'regress_counters'::regrole;
DROP SCHEMA counters_views, counters_public, counters_private CASCADE;
DROP ROLE regress_counters;
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
