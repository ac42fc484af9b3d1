-- Parallel plans for every aggregate family: workers build partial states,
-- serialize them, the leader combines them and draws the noise once.
-- Tolerances are 40 noise scales or more.
SET client_min_messages = warning;
CREATE TABLE pf_data AS
    SELECT g AS id, g % 2000 AS unit, (g % 100)::int AS v, (g % 100)::numeric AS num
    FROM generate_series(1, 200000) g;
ANALYZE pf_data;
SELECT ciam_privacy.set_budget(current_user::regrole, 100000, 0.01);

SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
EXPLAIN (COSTS OFF) CREATE TABLE pf_plan AS
SELECT ciam_privacy.dp_sum(v, 0, 100, 10), ciam_privacy.dp_variance(num, 0, 100, 10),
       ciam_privacy.dp_median(v, 0, 100, 10), ciam_privacy.dp_count_units(unit, 1, 10),
       ciam_privacy.dp_avg(unit, v, 0, 100, 5, 1, 10)
FROM pf_data;

-- True values: sum 9900000, population variance 833.25, median 49.5 (a
-- bucket of width 100 / 2048 around it), 2000 units; every row of a unit
-- has the value unit % 100, so the per-unit mean is 49.5. CREATE TABLE AS
-- can run its query in parallel, unlike INSERT.
CREATE TABLE pf_parallel AS
SELECT 'parallel' AS mode,
       abs(ciam_privacy.dp_sum(v, 0, 100, 10) - 9900000) < 400 AS sum_ok,
       abs(ciam_privacy.dp_variance(num, 0, 100, 10) - 833.25) < 5 AS variance_ok,
       abs(ciam_privacy.dp_median(v, 0, 100, 10) - 49.5) < 1 AS median_ok,
       abs(ciam_privacy.dp_count_units(unit, 1, 10) - 2000) < 4 AS units_ok,
       abs(ciam_privacy.dp_avg(unit, v, 0, 100, 5, 1, 10) - 49.5) < 3 AS unit_avg_ok
FROM pf_data;

SET max_parallel_workers_per_gather = 0;
EXPLAIN (COSTS OFF)
SELECT ciam_privacy.dp_sum(v, 0, 100, 10), ciam_privacy.dp_count_units(unit, 1, 10) FROM pf_data;
CREATE TABLE pf_serial AS
SELECT 'serial' AS mode,
       abs(ciam_privacy.dp_sum(v, 0, 100, 10) - 9900000) < 400 AS sum_ok,
       abs(ciam_privacy.dp_variance(num, 0, 100, 10) - 833.25) < 5 AS variance_ok,
       abs(ciam_privacy.dp_median(v, 0, 100, 10) - 49.5) < 1 AS median_ok,
       abs(ciam_privacy.dp_count_units(unit, 1, 10) - 2000) < 4 AS units_ok,
       abs(ciam_privacy.dp_avg(unit, v, 0, 100, 5, 1, 10) - 49.5) < 3 AS unit_avg_ok
FROM pf_data;
SELECT * FROM pf_parallel UNION ALL SELECT * FROM pf_serial;

-- workers that see no rows send empty partial states: the plan is parallel
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF)
SELECT ciam_privacy.dp_sum(v, 0, 100, 10) IS NOT NULL AS sum_empty,
       ciam_privacy.dp_median(v, 0, 100, 10) BETWEEN 0 AND 100 AS median_empty,
       ciam_privacy.dp_count_units(unit, 1, 10) < 40 AS units_empty,
       ciam_privacy.dp_stddev(unit, v, 0, 100, 1, 1, 10) BETWEEN 0 AND 50 AS stddev_empty
FROM pf_data WHERE id < 0;
SELECT ciam_privacy.dp_sum(v, 0, 100, 10) IS NOT NULL AS sum_empty,
       ciam_privacy.dp_median(v, 0, 100, 10) BETWEEN 0 AND 100 AS median_empty,
       ciam_privacy.dp_count_units(unit, 1, 10) < 40 AS units_empty,
       ciam_privacy.dp_stddev(unit, v, 0, 100, 1, 1, 10) BETWEEN 0 AND 50 AS stddev_empty
FROM pf_data WHERE id < 0;
-- one charge per aggregate, not per worker: 5 + 5 + 4 aggregates at epsilon 10
SELECT epsilon_spent FROM ciam_privacy.budget_status();

DELETE FROM ciam_privacy.budget WHERE role = current_user::regrole;
DROP TABLE pf_data, pf_parallel, pf_serial;
