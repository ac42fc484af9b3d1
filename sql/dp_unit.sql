-- Per-unit forms: contribution bounds per privacy unit. Tolerances are at
-- least 40 noise scales (noise failure below 1e-16) and, where rows are
-- sampled, 5 standard deviations of the sampling (failure below 1e-6).
SET client_min_messages = warning;
SELECT ciam_privacy.set_budget(current_user::regrole, 100000, 0.01);
-- 50 units with 100 rows each; every unit has rows in all 4 groups
CREATE TABLE unit_data AS
    SELECT u AS unit, 'visitor-' || u AS visitor, r AS seq, r % 4 AS k, 10.0::float8 AS ten
    FROM generate_series(1, 50) u, generate_series(1, 100) r;
ANALYZE unit_data;

-- distinct units per group: 50, noise scale max_groups / epsilon = 0.4
SELECT k, abs(ciam_privacy.dp_count_units(unit, 4, 10) - 50) < 16 AS ok
FROM unit_data GROUP BY k ORDER BY k;
-- with max_groups 1 each unit is kept in one random group: 50 in all
SELECT abs(sum(n) - 50) < 16 AS ok, max(n) < 50 AS spread FROM (
    SELECT k, ciam_privacy.dp_count_units(unit, 1, 10) AS n FROM unit_data GROUP BY k
) s;
-- text units hash like any other type
SELECT abs(ciam_privacy.dp_count_units(visitor, 1, 10) - 50) < 4 AS ok FROM unit_data;
-- NULL units are skipped
SELECT abs(ciam_privacy.dp_count_units(CASE WHEN unit <= 10 THEN NULL ELSE unit END, 1, 10) - 40) < 4 AS ok
FROM unit_data;

-- rows per unit: at most 3 in each group, so 150 per group; scale 1.2
SELECT k, abs(ciam_privacy.dp_count(unit, 3, 4, 10) - 150) < 48 AS ok
FROM unit_data GROUP BY k ORDER BY k;
-- sums: two rows of value 10 per unit and group, 1000 per group; scale 8
SELECT k, abs(ciam_privacy.dp_sum(unit, ten, 0, 10, 2, 4, 10) - 1000) < 320 AS ok
FROM unit_data GROUP BY k ORDER BY k;
-- Gaussian per-unit forms, charged delta
SELECT k, abs(ciam_privacy.dp_sum(unit, ten, 0, 10, 2, 4, 10, 1e-5) - 1000) < 2000 AS ok
FROM unit_data GROUP BY k ORDER BY k;
SELECT k, abs(ciam_privacy.dp_count_units(unit, 4, 10, 1e-5) - 50) < 100 AS ok
FROM unit_data GROUP BY k ORDER BY k;

-- the rows kept are a random subset, not the first or last: each of 400
-- units has 20 rows numbered 1 to 20 and one is kept. Its mean is 10.5,
-- with sampling deviation 0.29; keeping by position would give 1 or 20.
SELECT abs(ciam_privacy.dp_avg(u, r, 0, 20, 1, 1, 10) - 10.5) < 1.5 AS random_subset
FROM generate_series(1, 400) u, generate_series(1, 20) r;
-- the same through a sorted input
SELECT abs(ciam_privacy.dp_avg(u, r, 0, 20, 1, 1, 10) - 10.5) < 1.5 AS random_subset_sorted
FROM (SELECT u, r FROM generate_series(1, 400) u, generate_series(1, 20) r ORDER BY u, r) s;

-- variance and deviation per unit: all values 10, so both near 0
SELECT ciam_privacy.dp_variance(unit, ten, 0, 10, 5, 1, 10) < 5 AS variance,
       ciam_privacy.dp_stddev(unit, ten, 0, 10, 5, 1, 10) < 3 AS stddev
FROM unit_data;
-- per-unit median of seq with one row per unit: near 50 of 1..100
SELECT abs(ciam_privacy.dp_median(unit, seq, 0, 100, 1, 1, 10) - 50) < 25 AS median,
       abs(ciam_privacy.dp_percentile(unit, seq, 0.9, 0, 100, 3, 1, 10) - 90) < 20 AS p90
FROM unit_data;

-- group selection: 3 groups with 100 units, 20 groups with one unit each.
-- A one-unit group passes the threshold with probability at most delta.
SELECT epsilon_spent AS spent_before_selection FROM ciam_privacy.budget_status();
CREATE TABLE select_data AS
    SELECT 'big-' || (u % 3) AS domain, u AS unit FROM generate_series(1, 300) u
    UNION ALL
    SELECT 'rare-' || u, 1000 + u FROM generate_series(1, 20) u;
SELECT domain, n >= 10 AS above_threshold FROM (
    SELECT domain, ciam_privacy.dp_select_units(unit, 1, 1, 1e-6) AS n
    FROM select_data GROUP BY domain
    HAVING ciam_privacy.dp_select_units(unit, 1, 1, 1e-6) IS NOT NULL
) s ORDER BY domain;
-- one draw decides the group and its value, charged once: epsilon 1 more
SELECT epsilon_spent AS spent_after_selection FROM ciam_privacy.budget_status();

-- GROUPING SETS cannot bound groups per unit
SELECT k, ciam_privacy.dp_count_units(unit, 1, 1) FROM unit_data GROUP BY GROUPING SETS ((k), ());
-- DISTINCT or ORDER BY aggregates need a sorted GROUP BY: rejected when planned
SELECT k, ciam_privacy.dp_count_units(DISTINCT unit, 1, 1) FROM unit_data GROUP BY k;
SELECT k, ciam_privacy.dp_count_units(unit, 1, 1), count(DISTINCT unit) FROM unit_data GROUP BY k;
-- without GROUP BY, DISTINCT is allowed
SELECT abs(ciam_privacy.dp_count_units(DISTINCT unit, 1, 10) - 50) < 4 AS ok FROM unit_data;
-- partitionwise aggregation would bound groups per partition: one hash
-- aggregate over all partitions is planned instead
CREATE TABLE unit_parts (k int, unit int) PARTITION BY LIST (k);
CREATE TABLE unit_parts_0 PARTITION OF unit_parts FOR VALUES IN (0);
CREATE TABLE unit_parts_1 PARTITION OF unit_parts FOR VALUES IN (1);
INSERT INTO unit_parts SELECT g % 2, g % 10 FROM generate_series(1, 1000) g;
ANALYZE unit_parts;
SET enable_partitionwise_aggregate = on;
EXPLAIN (COSTS OFF) SELECT k, ciam_privacy.dp_count_units(unit, 1, 1) FROM unit_parts GROUP BY k;
RESET enable_partitionwise_aggregate;
DROP TABLE unit_parts;
-- bounds out of range, noise too large
SELECT ciam_privacy.dp_count(unit, 0, 1, 1) FROM unit_data;
SELECT ciam_privacy.dp_count(unit, 1, 1001, 1) FROM unit_data;
SELECT ciam_privacy.dp_sum(unit, ten, 0, 1e300, 1000, 1000, 0.000001) FROM unit_data;
SELECT ciam_privacy.dp_select_units(unit, 1, 1, 0) FROM unit_data;

-- the hash aggregate keeps every group in memory whatever work_mem is,
-- since an error on a spill would depend on the data
SET work_mem = '64kB';
SET hash_mem_multiplier = 1;
SELECT count(n) FROM (
    SELECT g % 5000, ciam_privacy.dp_count_units(g, 1, 1) AS n FROM generate_series(1, 200000) g GROUP BY g % 5000
) s;
RESET work_mem;
RESET hash_mem_multiplier;

DELETE FROM ciam_privacy.budget WHERE role = current_user::regrole;
DROP TABLE unit_data, select_data;
