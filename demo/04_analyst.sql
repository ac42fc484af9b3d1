-- The analyst: a login role with an epsilon budget, SELECT on the public
-- key lists in the reference schema, and SELECT on each privatized view in
-- the analytics schema, granted by ciam_privacy.publish_view() after it
-- has checked the view. The crm schema stays closed to the analyst.
--
-- psql variable analyst_password: set by scripts/demo.sh, random per run.

CREATE ROLE analyst_alice LOGIN PASSWORD :'analyst_password';
-- CONNECT on this database was revoked from PUBLIC when it was created,
-- because an analyst who can connect to another database can read there
-- the statistics of this one. The analyst is granted CONNECT by name.
DO $$
BEGIN
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO analyst_alice', current_database());
END;
$$;
GRANT USAGE ON SCHEMA analytics, reference TO analyst_alice;
GRANT SELECT ON ALL TABLES IN SCHEMA reference TO analyst_alice;

-- One query on each view costs 0.5 + 1.0 + 4 * 0.2 = 2.3, so a limit of
-- 3.0 pays for one round over the views and one more query on the first.
DO $$
BEGIN
    PERFORM ciam_privacy.set_budget('analyst_alice', 3.0);
END;
$$;

-- Per-table statistics (pg_stat_get_*, pg_relation_size, pg_class.reltuples)
-- count rows without noise and are readable by every role by default;
-- publish_view() refuses to publish until they are restricted.
SELECT ciam_privacy.restrict_statistics() \g /dev/null

SELECT v.view AS published_view
FROM (VALUES ('analytics.customers_by_country_sex'::regclass),
             ('analytics.education_profile'),
             ('analytics.requests_per_day'),
             ('analytics.visitors_per_day'),
             ('analytics.requests_per_section'),
             ('analytics.requests_per_status_class')) AS v(view)
CROSS JOIN LATERAL ciam_privacy.publish_view(v.view, 'analyst_alice');

SELECT role, epsilon_limit, epsilon_spent FROM ciam_privacy.budgets;
