-- Parameter validation: every error is raised when the query starts, before
-- any row is read, so it cannot depend on the data. The table is empty, so
-- an error here proves that no row was needed to raise it.
SET client_min_messages = warning;
CREATE TABLE params_data (x float8, label text);
SELECT ciam_privacy.set_budget(current_user::regrole, 1000);

-- epsilon out of range, not finite, null
SELECT ciam_privacy.dp_count(0) FROM params_data;
SELECT ciam_privacy.dp_count(-1) FROM params_data;
SELECT ciam_privacy.dp_count(0.0000001) FROM params_data;
SELECT ciam_privacy.dp_count(10.5) FROM params_data;
SELECT ciam_privacy.dp_count('NaN') FROM params_data;
SELECT ciam_privacy.dp_count('infinity') FROM params_data;
SELECT ciam_privacy.dp_count(NULL) FROM params_data;
SELECT ciam_privacy.dp_count(x, 0) FROM params_data;
SELECT ciam_privacy.dp_avg(x, 0, 1, 0) FROM params_data;

-- the documented limits themselves are accepted
SELECT ciam_privacy.dp_count(0.000001) >= 0 AS ok FROM params_data;
SELECT ciam_privacy.dp_count(10) >= 0 AS ok FROM params_data;

-- a parameter that could change from row to row is rejected, even when the
-- expression happens to be constant
SELECT ciam_privacy.dp_count(x) FROM params_data;
SELECT ciam_privacy.dp_count(label, x) FROM params_data;
SELECT ciam_privacy.dp_avg(x, 0, x, 1) FROM params_data;
SELECT ciam_privacy.dp_avg(x, x, 1, 1) FROM params_data;
SELECT ciam_privacy.dp_count(random()) FROM params_data;
SELECT ciam_privacy.dp_count(length(label)) FROM params_data;

-- bounds: finite, ordered, not too large
SELECT ciam_privacy.dp_avg(x, 1, 0, 1) FROM params_data;
SELECT ciam_privacy.dp_avg(x, 0, 'infinity', 1) FROM params_data;
SELECT ciam_privacy.dp_avg(x, '-infinity', 0, 1) FROM params_data;
SELECT ciam_privacy.dp_avg(x, 'NaN', 0, 1) FROM params_data;
SELECT ciam_privacy.dp_avg(x, 0, 1e301, 1) FROM params_data;
SELECT ciam_privacy.dp_avg(x, NULL, 1, 1) FROM params_data;

-- query parameters are constant for one execution and are accepted, in
-- custom and generic plans, and checked at each execution
PREPARE count_with(float8) AS SELECT ciam_privacy.dp_count($1) >= 0 AS ok FROM params_data;
EXECUTE count_with(1);
EXECUTE count_with(0);
SET plan_cache_mode = force_generic_plan;
PREPARE avg_with(numeric, float8, float8) AS
    SELECT ciam_privacy.dp_avg(x, $2, $3, $1) BETWEEN $2 AND $3 AS ok FROM params_data;
EXECUTE avg_with(1, 0, 10);
EXECUTE avg_with(1, 10, 0);
EXECUTE avg_with(11, 0, 10);
RESET plan_cache_mode;

-- a DP aggregate releases one value per row as a window function
SELECT ciam_privacy.dp_count(1) OVER () FROM params_data;
SELECT ciam_privacy.dp_avg(x, 0, 1, 1) OVER (ORDER BY x) FROM params_data;

-- errors in validation charge nothing: only the four released queries
-- are charged, 0.000001 + 10 + 1 + 1
SELECT epsilon_spent FROM ciam_privacy.budget_status();

DELETE FROM ciam_privacy.budget WHERE role = current_user::regrole;
DROP TABLE params_data;
