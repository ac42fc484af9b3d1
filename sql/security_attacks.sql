-- Attacks of a restricted analyst on the charge and the ledger: COPY,
-- cursors WITH HOLD, prepared statements, settings, objects of their own
-- placed first in search_path, and error messages. Each release is
-- charged and on the ledger; nothing else is reachable.
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
SELECT ciam_privacy.create_analyst('regress_sec_analyst', 6) IS NOT NULL AS created;
SELECT ciam_privacy.create_analyst('regress_sec_other', 5) IS NOT NULL AS created;
CREATE SCHEMA regress_sec_analyst AUTHORIZATION regress_sec_analyst;
CREATE SCHEMA sec_private;
CREATE SCHEMA sec_public;
CREATE SCHEMA sec_views;
CREATE TABLE sec_private.customers AS
    SELECT g AS id, (ARRAY['DE', 'FR', 'US'])[g % 3 + 1] AS country
    FROM generate_series(1, 300) g;
CREATE TABLE sec_public.countries (country text PRIMARY KEY);
INSERT INTO sec_public.countries VALUES ('DE'), ('FR'), ('US'), ('IT');
GRANT USAGE ON SCHEMA sec_public TO regress_sec_analyst;
GRANT SELECT ON sec_public.countries TO regress_sec_analyst;
CREATE VIEW sec_views.per_country WITH (security_barrier) AS
    SELECT k.country, ciam_privacy.dp_count(c.id, 0.25) AS customers
    FROM sec_public.countries k
    LEFT JOIN sec_private.customers c ON c.country = k.country
    GROUP BY k.country
    ORDER BY k.country;
SELECT ciam_privacy.grant_view('sec_views.per_country', 'regress_sec_analyst');

\c - regress_sec_analyst
SET client_min_messages = warning;

-- COPY of the view is a release like any other: charged and on the ledger
COPY (SELECT country FROM sec_views.per_country WHERE customers >= 0) TO STDOUT;
SELECT epsilon_spent FROM budget_status();
-- COPY of a base table or of the ledger is refused
COPY sec_private.customers TO STDOUT;
COPY (SELECT * FROM ciam_privacy.ledger) TO STDOUT;

-- ROLLBACK and ROLLBACK TO SAVEPOINT keep the charge and its ledger row
-- (checked against the ledger at the end)
BEGIN;
SELECT count(*) FROM sec_views.per_country WHERE customers >= 0;
ROLLBACK;
BEGIN;
SAVEPOINT probe;
SELECT count(*) FROM sec_views.per_country WHERE customers >= 0;
ROLLBACK TO SAVEPOINT probe;
COMMIT;
SELECT epsilon_spent FROM budget_status();

-- a cursor WITH HOLD is charged once, when it starts; rolling back or
-- fetching after COMMIT gives nothing back and costs nothing more
BEGIN;
DECLARE held CURSOR WITH HOLD FOR SELECT country, customers >= 0 AS ok FROM sec_views.per_country;
FETCH 1 FROM held;
COMMIT;
FETCH ALL FROM held;
CLOSE held;
SELECT epsilon_spent FROM budget_status();

-- a prepared statement is charged at every execution, generic plan or not
PREPARE again AS SELECT customers >= 0 AS ok FROM sec_views.per_country WHERE country = $1;
EXECUTE again('DE');
EXECUTE again('FR');
SET plan_cache_mode = force_generic_plan;
EXECUTE again('US');
RESET plan_cache_mode;
SELECT epsilon_spent FROM budget_status();

-- the extension's settings cannot be changed by an analyst, in any way
SET ciam_privacy.hide_log_messages = off;
SELECT set_config('ciam_privacy.hide_log_messages', 'off', true);
SET ciam_privacy.planner_rows = 1;
SET ciam_privacy.standby_epsilon_limit = 100;
ALTER ROLE regress_sec_analyst SET ciam_privacy.hide_log_messages = off;
SET ciam_privacy.no_such_setting = 1;

-- a function, an operator and a cast of the analyst's own, in a schema
-- first in search_path, see only what the view releases (one row per
-- country), never a customer row
SET search_path = regress_sec_analyst, pg_catalog, sec_views;
CREATE FUNCTION sec_leak(text) RETURNS boolean
LANGUAGE plpgsql COST 0.0000001 AS $$
BEGIN
    RAISE NOTICE 'leak saw %', $1;
    RETURN true;
END;
$$;
CREATE TYPE sec_word AS (word text);
CREATE FUNCTION sec_leaky_cast(text) RETURNS sec_word
LANGUAGE plpgsql COST 0.0000001 AS $$
BEGIN
    RAISE NOTICE 'cast saw %', $1;
    RETURN ROW($1)::sec_word;
END;
$$;
CREATE CAST (text AS sec_word) WITH FUNCTION sec_leaky_cast(text) AS IMPLICIT;
SET client_min_messages = notice;
SET enable_hashagg = off;
SELECT country FROM per_country WHERE sec_leak(country) AND customers >= 0;
SELECT country FROM per_country WHERE (country::sec_word).word = 'FR' AND customers >= 0;
-- an error raised from the analyst's function shows only a released value
SELECT country FROM per_country WHERE 1 / (length(country) - 2) > 0;
SET client_min_messages = warning;
RESET enable_hashagg;
RESET search_path;
SELECT epsilon_spent FROM ciam_privacy.budget_status();

-- the refusal names only the analyst's own budget, and a query that fits
-- still runs
SELECT ciam_privacy.dp_count(10) FROM sec_public.countries;
SELECT customers >= 0 AS ok FROM sec_views.per_country;

-- other analysts' spending, the ledger and the owner's functions are out
-- of reach
SELECT * FROM ciam_privacy.budgets;
SELECT * FROM ciam_privacy.ledger;
SELECT * FROM ciam_privacy.ledger_entries;
SELECT * FROM ciam_privacy.standby_spending();
INSERT INTO ciam_privacy.ledger (recorded_at) VALUES (now());
SELECT ciam_privacy.raise_budget('regress_sec_analyst', 100);
SELECT ciam_privacy.reset_spending('regress_sec_analyst');
SELECT ciam_privacy.set_budget_period('regress_sec_analyst', '1 second');
CALL ciam_privacy.renew_budgets();
SELECT * FROM ciam_privacy.budget_period;
SELECT ciam_privacy.set_budget('regress_sec_analyst', 100);
SELECT ciam_privacy.create_analyst('regress_sec_third', 100);
SELECT ciam_privacy.grant_view('sec_views.per_country', 'regress_sec_other');
SET ROLE regress_sec_other;
SELECT query FROM pg_stat_activity WHERE usename = 'regress_sec_other';

\c - postgres
SET client_min_messages = warning;
-- every release above is on the ledger, in order: COPY, the two rolled
-- back queries, the cursor, three executions, the two leak queries, the
-- query ended by its error, the refusal, then the query that fits
SELECT event, epsilon, epsilon_spent, description, query_id IS NOT NULL AS has_query_id
FROM ciam_privacy.ledger_entries
WHERE role = 'regress_sec_analyst'::regrole
ORDER BY recorded_at;
-- the ledger's sum of releases equals the budget's spending
SELECT (SELECT sum(epsilon_nanos) FROM ciam_privacy.ledger
        WHERE role = 'regress_sec_analyst'::regrole AND event = 'released')
     = (SELECT epsilon_spent_nanos FROM ciam_privacy.budget
        WHERE role = 'regress_sec_analyst'::regrole) AS ledger_matches_budget;

SELECT ciam_privacy.revoke_analyst('regress_sec_analyst');
SELECT ciam_privacy.revoke_analyst('regress_sec_other');
DELETE FROM ciam_privacy.budget WHERE role IN ('regress_sec_analyst'::regrole, 'regress_sec_other'::regrole);
DROP SCHEMA sec_views, sec_public, sec_private CASCADE;
DROP SCHEMA regress_sec_analyst CASCADE;
DROP ROLE regress_sec_analyst;
DROP ROLE regress_sec_other;
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
