-- Charging: once per DP aggregate per query, to the login role.
SET client_min_messages = warning;
CREATE ROLE regress_charge_analyst LOGIN;
CREATE ROLE regress_charge_other LOGIN;
GRANT regress_charge_other TO regress_charge_analyst;
CREATE TABLE charge_data AS
    SELECT g AS id, g % 5 AS k, (g % 90)::float8 AS age FROM generate_series(1, 1000) g;
GRANT SELECT ON charge_data TO regress_charge_analyst, regress_charge_other;
SELECT ciam_privacy.set_budget('regress_charge_analyst', 100);
SELECT ciam_privacy.set_budget('regress_charge_other', 100);
CREATE FUNCTION count_twice() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    a bigint;
    b bigint;
BEGIN
    SELECT ciam_privacy.dp_count(0.5) INTO a FROM charge_data;
    SELECT ciam_privacy.dp_count(0.5) INTO b FROM charge_data;
    RETURN a + b;
END;
$$;

\c - regress_charge_analyst
SET client_min_messages = warning;

-- one charge per aggregate, not per group: 5 groups, epsilon 0.5
SELECT count(n) AS groups FROM (SELECT k, ciam_privacy.dp_count(0.5) AS n FROM charge_data GROUP BY k) s;
SELECT epsilon_spent FROM ciam_privacy.budget_status();

-- two aggregates in one query: their epsilons add up
SELECT ciam_privacy.dp_count(0.25) >= 0 AS a, ciam_privacy.dp_avg(age, 0, 90, 0.25) >= 0 AS b
FROM charge_data;
SELECT epsilon_spent FROM ciam_privacy.budget_status();

-- sorted and hashed grouping charge the same
SET enable_hashagg = off;
SELECT count(n) AS groups FROM (SELECT k, ciam_privacy.dp_count(0.5) AS n FROM charge_data GROUP BY k) s;
RESET enable_hashagg;
SELECT epsilon_spent FROM ciam_privacy.budget_status();

-- GROUPING SETS release every row once per set: 3 sets, charged 3 times
SELECT count(n) AS groups FROM (
    SELECT k, ciam_privacy.dp_count(0.5) AS n FROM charge_data GROUP BY GROUPING SETS ((k), (id % 2), ())
) s;
SELECT epsilon_spent FROM ciam_privacy.budget_status();

-- a HAVING clause on the noisy value reuses it: still one charge
SELECT count(*) >= 0 AS ok FROM (
    SELECT k FROM charge_data GROUP BY k HAVING ciam_privacy.dp_count(0.5) > 0
) s;
SELECT epsilon_spent FROM ciam_privacy.budget_status();

-- repeating a query charges it again
SELECT ciam_privacy.dp_count(1) >= 0 AS ok FROM charge_data;
SELECT ciam_privacy.dp_count(1) >= 0 AS ok FROM charge_data;
SELECT epsilon_spent FROM ciam_privacy.budget_status();

-- a correlated subquery runs its aggregate once per outer row, on other
-- rows each time: 4 runs of epsilon 0.25
SELECT count(n) AS runs FROM (
    SELECT (SELECT ciam_privacy.dp_count(0.25) FROM charge_data d WHERE d.id <= g) AS n
    FROM generate_series(1, 4) g
) s;
SELECT epsilon_spent FROM ciam_privacy.budget_status();

-- a value that the query never computes is never released, and costs
-- nothing: the planner drops the unused column of the subquery
SELECT count(*) AS groups FROM (SELECT k, ciam_privacy.dp_count(0.5) FROM charge_data GROUP BY k) s;
SELECT epsilon_spent FROM ciam_privacy.budget_status();

-- a prepared statement is charged at every execution
PREPARE counted AS SELECT ciam_privacy.dp_count(0.5) >= 0 AS ok FROM charge_data;
EXECUTE counted;
EXECUTE counted;
SELECT epsilon_spent FROM ciam_privacy.budget_status();

-- a DP query inside a function is charged like any other
SELECT count_twice() >= 0 AS ok;
SELECT epsilon_spent FROM ciam_privacy.budget_status();

-- a scrollable cursor read twice releases the stored values, not new ones
BEGIN;
DECLARE c SCROLL CURSOR FOR SELECT k, ciam_privacy.dp_count(0.5) AS n FROM charge_data GROUP BY k ORDER BY k;
FETCH ALL FROM c \g /dev/null
MOVE ABSOLUTE 0 IN c;
FETCH ALL FROM c \g /dev/null
COMMIT;
SELECT epsilon_spent FROM ciam_privacy.budget_status();

-- the login role pays even after SET ROLE
SET ROLE regress_charge_other;
SELECT ciam_privacy.dp_count(1) >= 0 AS ok FROM charge_data;
RESET ROLE;
SELECT role, epsilon_spent FROM ciam_privacy.budget_status();

\c - regress_charge_other
SELECT role, epsilon_spent FROM ciam_privacy.budget_status();

\c - postgres
SET client_min_messages = warning;
SELECT role, epsilon_limit, epsilon_spent, epsilon_remaining
FROM ciam_privacy.budgets WHERE role::text LIKE 'regress_charge%' ORDER BY 1::text;

DELETE FROM ciam_privacy.budget WHERE role::text LIKE 'regress_charge%';
DROP FUNCTION count_twice();
DROP TABLE charge_data;
DROP ROLE regress_charge_analyst;
DROP ROLE regress_charge_other;
