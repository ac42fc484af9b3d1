-- Spending is permanent: nothing a session does gives epsilon back.
SET client_min_messages = warning;
CREATE ROLE regress_rollback_analyst LOGIN;
CREATE TABLE rollback_data AS SELECT g AS id FROM generate_series(1, 100) g;
GRANT SELECT ON rollback_data TO regress_rollback_analyst;
SELECT ciam_privacy.set_budget('regress_rollback_analyst', 10);

\c - regress_rollback_analyst
SET client_min_messages = warning;

-- ROLLBACK
BEGIN;
SELECT ciam_privacy.dp_count(1) >= 0 AS ok FROM rollback_data;
ROLLBACK;
SELECT epsilon_spent FROM ciam_privacy.budget_status();

-- ROLLBACK TO SAVEPOINT
BEGIN;
SAVEPOINT before_query;
SELECT ciam_privacy.dp_count(1) >= 0 AS ok FROM rollback_data;
ROLLBACK TO SAVEPOINT before_query;
COMMIT;
SELECT epsilon_spent FROM ciam_privacy.budget_status();

-- an error after the charge, in a READ ONLY transaction
BEGIN READ ONLY;
SELECT ciam_privacy.dp_count(1) / 0 FROM rollback_data;
ROLLBACK;
SELECT epsilon_spent FROM ciam_privacy.budget_status();

-- an exception block that swallows the error
DO $$
DECLARE
    n bigint;
BEGIN
    SELECT ciam_privacy.dp_count(1) INTO n FROM rollback_data;
    RAISE EXCEPTION 'undo';
EXCEPTION WHEN OTHERS THEN
    NULL;
END;
$$;
SELECT epsilon_spent FROM ciam_privacy.budget_status();

-- a cursor closed before anything was fetched
BEGIN;
DECLARE c CURSOR FOR SELECT ciam_privacy.dp_count(1) FROM rollback_data;
CLOSE c;
ROLLBACK;
SELECT epsilon_spent FROM ciam_privacy.budget_status();

-- a cancel (statement timeout) in the middle of the query
SET statement_timeout = '200ms';
SELECT ciam_privacy.dp_count(1) FROM rollback_data, pg_sleep(2);
RESET statement_timeout;
SELECT epsilon_spent FROM ciam_privacy.budget_status();

-- a disconnect: the next session finds the charge
SELECT ciam_privacy.dp_count(1) >= 0 AS ok FROM rollback_data;
\c - regress_rollback_analyst
SELECT epsilon_spent FROM ciam_privacy.budget_status();

\c - postgres
SET client_min_messages = warning;
DELETE FROM ciam_privacy.budget WHERE role = 'regress_rollback_analyst'::regrole;
DROP TABLE rollback_data;
DROP ROLE regress_rollback_analyst;
