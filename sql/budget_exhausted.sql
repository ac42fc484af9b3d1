-- Refusal: a query that does not fit the budget fails before it computes
-- anything, releases nothing and charges nothing.
SET client_min_messages = warning;
CREATE ROLE regress_exhausted_analyst LOGIN;
CREATE ROLE regress_unbudgeted_analyst LOGIN;
CREATE TABLE exhausted_data AS SELECT g AS id, g % 3 AS k FROM generate_series(1, 100) g;
GRANT SELECT ON exhausted_data TO regress_exhausted_analyst, regress_unbudgeted_analyst;
SELECT ciam_privacy.set_budget('regress_exhausted_analyst', 1);

\c - regress_exhausted_analyst
SET client_min_messages = warning;
SELECT epsilon_limit, epsilon_spent, epsilon_remaining FROM ciam_privacy.budget_status();
-- ten queries of 0.1 fit a budget of 1 exactly: charges add up in exact units
SELECT count(*) FILTER (WHERE ok) AS released FROM (
    SELECT (SELECT ciam_privacy.dp_count(0.1) >= 0 FROM exhausted_data WHERE id > g) AS ok
    FROM generate_series(1, 10) g
) s;
SELECT epsilon_spent, epsilon_remaining FROM ciam_privacy.budget_status();
-- the eleventh is refused
SELECT ciam_privacy.dp_count(0.1) FROM exhausted_data;
-- a refused GROUP BY query releases no group: the error comes first
SELECT k, ciam_privacy.dp_count(0.1) FROM exhausted_data GROUP BY k;
-- a cursor is charged when it is opened, and refused there
BEGIN;
DECLARE c CURSOR FOR SELECT ciam_privacy.dp_count(0.1) FROM exhausted_data;
ROLLBACK;
SELECT epsilon_spent, epsilon_remaining FROM ciam_privacy.budget_status();

-- a query that would need more than what remains releases none of its
-- aggregates, even those that would fit alone
\c - postgres
SELECT ciam_privacy.set_budget('regress_exhausted_analyst', 1.5);
\c - regress_exhausted_analyst
SET client_min_messages = warning;
SELECT ciam_privacy.dp_count(0.4), ciam_privacy.dp_count(id, 0.4) FROM exhausted_data;
SELECT epsilon_spent, epsilon_remaining FROM ciam_privacy.budget_status();
SELECT ciam_privacy.dp_count(0.25) >= 0 AS a, ciam_privacy.dp_count(id, 0.25) >= 0 AS b
FROM exhausted_data;
SELECT epsilon_spent, epsilon_remaining FROM ciam_privacy.budget_status();

-- a role without a budget cannot run DP aggregates at all
\c - regress_unbudgeted_analyst
SET client_min_messages = warning;
SELECT ciam_privacy.dp_count(0.1) FROM exhausted_data;
SELECT * FROM ciam_privacy.budget_status();

\c - postgres
SET client_min_messages = warning;
-- lowering a limit below what was spent leaves nothing to spend
SELECT ciam_privacy.set_budget('regress_exhausted_analyst', 0.5);
SELECT epsilon_limit, epsilon_spent, epsilon_remaining FROM ciam_privacy.budgets
WHERE role = 'regress_exhausted_analyst'::regrole;
-- a role that cannot log in is never charged: its budget would go unused
CREATE ROLE regress_nologin_group NOLOGIN;
SELECT ciam_privacy.set_budget('regress_nologin_group', 1);
DELETE FROM ciam_privacy.budget WHERE role = 'regress_nologin_group'::regrole;
DROP ROLE regress_nologin_group;
-- invalid limits
SELECT ciam_privacy.set_budget('regress_exhausted_analyst', -1);
SELECT ciam_privacy.set_budget('regress_exhausted_analyst', 'NaN');
SELECT ciam_privacy.set_budget('regress_exhausted_analyst', 2e6);
SELECT ciam_privacy.set_budget('regress_exhausted_analyst', 1, -1e-9);
SELECT ciam_privacy.set_budget('regress_exhausted_analyst', 1, 0.5);
SELECT ciam_privacy.set_budget('regress_exhausted_analyst', 1, 'NaN');
SELECT ciam_privacy.set_budget('regress_exhausted_analyst', 1, NULL);
-- a delta limit is kept next to the epsilon limit
SELECT ciam_privacy.set_budget('regress_exhausted_analyst', 0.5, 1e-6);
SELECT epsilon_limit, epsilon_spent, delta_limit, delta_spent, rho_spent FROM ciam_privacy.budgets
WHERE role = 'regress_exhausted_analyst'::regrole;
-- the owner's view composes zCDP spending like the charge does
SELECT ciam_privacy.total_epsilon(0, 1000000000000, 0, 0) AS no_rho,
       round(ciam_privacy.total_epsilon(100000000, 1000000000000, 0, 125000000)::numeric, 6) AS with_rho,
       ciam_privacy.total_epsilon(0, 1000, 1000, 1) AS no_delta_left;
-- the budget table cannot be updated directly: a new row version would
-- lose charges made concurrently
UPDATE ciam_privacy.budget SET epsilon_spent_nanos = 0;

DELETE FROM ciam_privacy.budget WHERE role::text LIKE 'regress_%analyst';
DROP TABLE exhausted_data;
DROP ROLE regress_exhausted_analyst;
DROP ROLE regress_unbudgeted_analyst;
