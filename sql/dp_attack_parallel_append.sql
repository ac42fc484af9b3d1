-- A DP aggregate is finalized in the leader, which charges it. The planner
-- may put a whole aggregate below a Gather: one aggregate per partition
-- (partitionwise aggregation) or one per branch of a UNION ALL under a
-- Parallel Append. A worker then finalized it and failed, and only when
-- its input had a group, so the error depended on the data. Per-unit
-- aggregates run per partition also bounded a unit's groups per partition.
SET client_min_messages = warning;
SELECT ciam_privacy.set_budget(current_user::regrole, 1000, 0.01);
CREATE TABLE attack_pa (k int, u int) PARTITION BY LIST (k);
CREATE TABLE attack_pa0 PARTITION OF attack_pa FOR VALUES IN (0);
CREATE TABLE attack_pa1 PARTITION OF attack_pa FOR VALUES IN (1);
CREATE TABLE attack_pa2 PARTITION OF attack_pa FOR VALUES IN (2);
-- each of 301 units has rows in all three partitions
INSERT INTO attack_pa SELECT g % 3, g % 301 FROM generate_series(1, 30000) g;
CREATE TABLE attack_pa_b1 AS SELECT g FROM generate_series(1, 30000) g;
CREATE TABLE attack_pa_b2 AS SELECT g FROM generate_series(1, 30000) g;
ANALYZE attack_pa, attack_pa_b1, attack_pa_b2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
SET enable_partitionwise_aggregate = on;
-- no whole aggregate below the Gather
EXPLAIN (COSTS OFF)
SELECT * FROM (SELECT k, ciam_privacy.dp_count_units(u, 1, 10) AS n FROM attack_pa GROUP BY k) s
WHERE n > -1 UNION ALL SELECT 5, 5;
EXPLAIN (COSTS OFF)
SELECT * FROM (SELECT ciam_privacy.dp_count(1.0) AS n FROM attack_pa_b1) s WHERE n > -1
UNION ALL
SELECT * FROM (SELECT ciam_privacy.dp_count(1.0) AS n FROM attack_pa_b2) s WHERE n > -1;
-- max_groups 1 holds across the partitions: 301 units in all, not 903
-- (noise scale 0.1 per group)
SELECT abs(sum(n) - 301) < 30 AS units_once FROM (
    SELECT * FROM (SELECT k, ciam_privacy.dp_count_units(u, 1, 10) AS n FROM attack_pa GROUP BY k) s
    WHERE n > -1
    UNION ALL SELECT 5, 0
) r;
SELECT count(*) = 2 AS both_released FROM (
    SELECT * FROM (SELECT ciam_privacy.dp_count(1.0) AS n FROM attack_pa_b1) s WHERE n > -1
    UNION ALL
    SELECT * FROM (SELECT ciam_privacy.dp_count(1.0) AS n FROM attack_pa_b2) s WHERE n > -1
) r;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
RESET parallel_leader_participation;
RESET enable_partitionwise_aggregate;
DROP TABLE attack_pa, attack_pa_b1, attack_pa_b2;
SELECT ciam_privacy.reset_spending(current_user::regrole);
