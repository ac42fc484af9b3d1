-- Parallel plans: workers build partial states, the leader adds the noise
-- once, and the query is charged once, not once per worker.
SET client_min_messages = warning;
CREATE TABLE parallel_data AS
    SELECT g AS id, g % 4 AS k, (g % 90)::float8 AS age FROM generate_series(1, 200000) g;
ANALYZE parallel_data;
SELECT ciam_privacy.set_budget(current_user::regrole, 100);

SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
EXPLAIN (COSTS OFF)
SELECT ciam_privacy.dp_count(1), ciam_privacy.dp_count(age, 1), ciam_privacy.dp_avg(age, 0, 100, 1)
FROM parallel_data;
EXPLAIN (COSTS OFF)
SELECT k, ciam_privacy.dp_avg(age, 0, 100, 1) FROM parallel_data GROUP BY k;

-- Tolerances: with epsilon 1, P(|count noise| > 40) < 1e-17; the mean is
-- off by at most a few 1e-3 unless a noise is beyond 40 times its scale.
-- The true values are 200000 rows and a mean age of 44.5.
SELECT abs(ciam_privacy.dp_count(1) - 200000) <= 40 AS count_ok,
       abs(ciam_privacy.dp_count(age, 1) - 200000) <= 40 AS count_values_ok,
       abs(ciam_privacy.dp_avg(age, 0, 100, 1) - 44.5) < 0.05 AS avg_ok
FROM parallel_data;
SELECT epsilon_spent FROM ciam_privacy.budget_status();

-- the same query in a serial plan agrees within the same tolerance
SET max_parallel_workers_per_gather = 0;
SELECT abs(ciam_privacy.dp_count(1) - 200000) <= 40 AS count_ok,
       abs(ciam_privacy.dp_count(age, 1) - 200000) <= 40 AS count_values_ok,
       abs(ciam_privacy.dp_avg(age, 0, 100, 1) - 44.5) < 0.05 AS avg_ok
FROM parallel_data;
SELECT epsilon_spent FROM ciam_privacy.budget_status();

-- workers that see no rows send empty partial states
SET max_parallel_workers_per_gather = 2;
SELECT ciam_privacy.dp_avg(age, 0, 100, 1) BETWEEN 0 AND 100 AS bounded,
       ciam_privacy.dp_count(age, 1) <= 40 AS near_zero
FROM parallel_data WHERE id < 0;

-- grouped: per group of 50000 rows, the mean ages are 43.5, 44.5, 45.5, 44.5
SELECT k, abs(mean - expected) < 0.2 AS avg_ok FROM (
    SELECT k, ciam_privacy.dp_avg(age, 0, 100, 1) AS mean, avg(age) AS expected
    FROM parallel_data GROUP BY k
) s ORDER BY k;

DELETE FROM ciam_privacy.budget WHERE role = current_user::regrole;
DROP TABLE parallel_data;
