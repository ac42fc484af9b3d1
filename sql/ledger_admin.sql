-- The data owner's functions: create an analyst, grant and revoke a view,
-- raise and reset a budget, renew it every period, revoke the analyst.
-- Each budget change is on the ledger.
-- It runs restrict_statistics(), so it must sort after analyst_access,
-- which checks publishing before the statistics are restricted.
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

-- defaults: no attributes, NOINHERIT, a connection limit, a search_path
-- without a schema the analyst can write
SELECT ciam_privacy.create_analyst('regress_admin_analyst', 2);
SELECT rolcanlogin, rolinherit, rolcreaterole, rolcreatedb, rolsuper,
       rolreplication, rolbypassrls, rolconnlimit
FROM pg_roles WHERE rolname = 'regress_admin_analyst';
SELECT setconfig FROM pg_db_role_setting
WHERE setrole = 'regress_admin_analyst'::regrole;
SELECT role, epsilon_limit, epsilon_spent FROM ciam_privacy.budgets
WHERE role = 'regress_admin_analyst'::regrole;
-- a NOLOGIN analyst, with another limit
SELECT ciam_privacy.create_analyst('regress_admin_nologin', 1, false, 1);
SELECT rolcanlogin, rolconnlimit FROM pg_roles WHERE rolname = 'regress_admin_nologin';

-- invalid calls
SELECT ciam_privacy.create_analyst('regress_admin_analyst', 2);
SELECT ciam_privacy.create_analyst(NULL, 2);
SELECT ciam_privacy.create_analyst('regress_admin_bad', 2, true, 0);
SELECT ciam_privacy.create_analyst('regress_admin_bad', -1);
SELECT count(*) FROM pg_roles WHERE rolname = 'regress_admin_bad';
SELECT ciam_privacy.raise_budget('regress_admin_analyst', 0);
SELECT ciam_privacy.raise_budget('regress_admin_analyst', 'NaN');
SELECT ciam_privacy.raise_budget('pg_monitor', 1);

-- a schema the analyst could write draws a warning
CREATE SCHEMA admin_scratch;
GRANT CREATE ON SCHEMA admin_scratch TO PUBLIC;
SELECT ciam_privacy.create_analyst('regress_admin_warned', 1);
DROP SCHEMA admin_scratch;

-- grant a view: USAGE on its schema and the publication
CREATE SCHEMA admin_private;
CREATE SCHEMA admin_views;
CREATE TABLE admin_private.events AS SELECT g AS id FROM generate_series(1, 50) g;
CREATE VIEW admin_views.event_count WITH (security_barrier) AS
    SELECT ciam_privacy.dp_count(e.id, 0.5) AS events FROM admin_private.events e;
SELECT ciam_privacy.grant_view('admin_views.event_count', 'regress_admin_analyst');
SELECT has_schema_privilege('regress_admin_analyst', 'admin_views', 'USAGE') AS schema_usage,
       has_table_privilege('regress_admin_analyst', 'admin_views.event_count', 'SELECT') AS view_select;
-- a view that fails the checks is not granted, and neither is its schema
CREATE VIEW admin_views.raw_rows AS SELECT id FROM admin_private.events;
SELECT ciam_privacy.grant_view('admin_views.raw_rows', 'regress_admin_nologin');
SELECT has_schema_privilege('regress_admin_nologin', 'admin_views', 'USAGE') AS schema_usage;

\c - regress_admin_analyst
SHOW search_path;
SELECT events >= 0 AS ok FROM admin_views.event_count;
SELECT events >= 0 AS ok FROM admin_views.event_count;
SELECT events >= 0 AS ok FROM admin_views.event_count;
SELECT epsilon_limit, epsilon_spent, epsilon_remaining FROM budget_status();

\c - postgres
SET client_min_messages = warning;
-- raising adds to the limit and keeps the spending
SELECT ciam_privacy.raise_budget('regress_admin_analyst', 1.5);
SELECT epsilon_limit, epsilon_spent FROM ciam_privacy.budgets
WHERE role = 'regress_admin_analyst'::regrole;
-- a raise remains even if the owner's transaction rolls back, like a
-- charge, and the ledger records it
BEGIN;
SELECT ciam_privacy.raise_budget('regress_admin_analyst', 0.5);
ROLLBACK;
SELECT epsilon_limit FROM ciam_privacy.budgets
WHERE role = 'regress_admin_analyst'::regrole;

-- budget periods: a renewal resets the spending once per period
SELECT ciam_privacy.set_budget_period('regress_admin_analyst', '1 month',
                                      now() - interval '40 days');
SELECT ciam_privacy.set_budget_period('regress_admin_analyst', '-1 day');
SELECT ciam_privacy.set_budget_period('regress_admin_nologin', NULL);
SELECT ciam_privacy.set_budget_period('pg_monitor', '1 day');
CALL ciam_privacy.renew_budgets();
SELECT epsilon_limit, epsilon_spent FROM ciam_privacy.budgets
WHERE role = 'regress_admin_analyst'::regrole;
-- missed periods are skipped: the next renewal is in the future, within
-- one period
SELECT next_renewal > now() AND next_renewal <= now() + interval '1 month' AS next_ok
FROM ciam_privacy.budget_period WHERE role = 'regress_admin_analyst'::regrole;
-- a second run in the same period renews nothing
\c - regress_admin_analyst
SELECT events >= 0 AS ok FROM admin_views.event_count;
\c - postgres
SET client_min_messages = warning;
CALL ciam_privacy.renew_budgets();
SELECT epsilon_spent FROM ciam_privacy.budgets
WHERE role = 'regress_admin_analyst'::regrole;
-- renewals commit on their own, so not inside a transaction block
UPDATE ciam_privacy.budget_period SET next_renewal = now() - interval '1 day'
WHERE role = 'regress_admin_analyst'::regrole;
BEGIN;
CALL ciam_privacy.renew_budgets();
ROLLBACK;

-- a reset sets the spending to zero and keeps the limit
SELECT ciam_privacy.reset_spending('regress_admin_analyst');
SELECT epsilon_limit, epsilon_spent FROM ciam_privacy.budgets
WHERE role = 'regress_admin_analyst'::regrole;
SELECT ciam_privacy.reset_spending('pg_monitor');
SELECT ciam_privacy.reset_spending(NULL);

-- revoke a view, then the analyst
SELECT ciam_privacy.revoke_view('admin_views.event_count', 'regress_admin_analyst');
SELECT has_table_privilege('regress_admin_analyst', 'admin_views.event_count', 'SELECT') AS view_select;
SELECT ciam_privacy.grant_view('admin_views.event_count', 'regress_admin_analyst');
SELECT ciam_privacy.revoke_analyst('regress_admin_analyst');
SELECT rolcanlogin FROM pg_roles WHERE rolname = 'regress_admin_analyst';
SELECT count(*) FROM ciam_privacy.published_view
WHERE analyst = 'regress_admin_analyst'::regrole;
SELECT epsilon_limit, epsilon_spent FROM ciam_privacy.budgets
WHERE role = 'regress_admin_analyst'::regrole;

-- the ledger holds every budget change and every release, in order
SELECT event, epsilon, epsilon_limit, epsilon_spent, description, session_user_name
FROM ciam_privacy.ledger_entries
WHERE role = 'regress_admin_analyst'::regrole
ORDER BY recorded_at;
-- and cannot be changed
UPDATE ciam_privacy.ledger SET epsilon_nanos = 0 WHERE role = 'regress_admin_analyst'::regrole;
DELETE FROM ciam_privacy.ledger WHERE role = 'regress_admin_analyst'::regrole;
TRUNCATE ciam_privacy.ledger;
-- the export recipe of the README
COPY (SELECT role_name, event, epsilon FROM ciam_privacy.ledger_entries
      WHERE role = 'regress_admin_analyst'::regrole ORDER BY recorded_at)
TO STDOUT WITH (FORMAT csv, HEADER);

DELETE FROM ciam_privacy.budget_period WHERE role = 'regress_admin_analyst'::regrole;
DELETE FROM ciam_privacy.budget WHERE role IN
    ('regress_admin_analyst'::regrole, 'regress_admin_nologin'::regrole,
     'regress_admin_warned'::regrole);
DROP SCHEMA admin_views, admin_private CASCADE;
DROP ROLE regress_admin_analyst, regress_admin_nologin, regress_admin_warned;
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
