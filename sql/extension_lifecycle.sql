-- DROP EXTENSION removes every object of the extension. The schema that
-- CREATE EXTENSION made from the control file stays, empty, as PostgreSQL
-- keeps any schema named there; a new CREATE EXTENSION reuses it.
SET client_min_messages = warning;
SELECT extversion FROM pg_extension WHERE extname = 'ciam_privacy';
SELECT count(*) > 0 AS has_objects FROM pg_depend d JOIN pg_extension e ON d.refobjid = e.oid
WHERE e.extname = 'ciam_privacy' AND d.deptype = 'e';

DROP EXTENSION ciam_privacy;
SELECT count(*) AS relations FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'ciam_privacy';
SELECT count(*) AS functions FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = 'ciam_privacy';
SELECT count(*) AS functions_elsewhere FROM pg_proc WHERE probin = '$libdir/ciam_privacy';

CREATE EXTENSION ciam_privacy;
SELECT ciam_privacy.set_budget(current_user::regrole, 1);
SELECT ciam_privacy.dp_count(1) >= 0 AS ok FROM generate_series(1, 10);
SELECT epsilon_spent FROM ciam_privacy.budget_status();

-- the extension cannot be moved to another schema
ALTER EXTENSION ciam_privacy SET SCHEMA public;
-- nor created twice
CREATE EXTENSION ciam_privacy;
DELETE FROM ciam_privacy.budget WHERE role = current_user::regrole;
