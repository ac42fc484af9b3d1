-- Per-unit forms in a GROUP BY need all groups in one hash table. Whether
-- that table outgrows work_mem depends on the number of groups and units,
-- so an error on a spill would tell an analyst who lowers work_mem about
-- the data. The table must grow in memory instead, whatever work_mem is.
SET client_min_messages = warning;
SELECT ciam_privacy.set_budget(current_user::regrole, 1000, 0.01);
-- 5000 groups of 2 units each
CREATE TABLE attack_spill AS
    SELECT u, u % 5000 AS g FROM generate_series(1, 10000) u;
ANALYZE attack_spill;
SET work_mem = '64kB';
SET hash_mem_multiplier = 1;
-- noise scale 1 / 10 per group, so the sum over 5000 groups is 10000
-- within 2000 (about 200 standard deviations of the summed noise)
SELECT abs(sum(n) - 10000) < 2000 AS ok FROM (
    SELECT g, ciam_privacy.dp_count_units(u, 1, 10) AS n FROM attack_spill GROUP BY g
) s;
SELECT abs(sum(n) - 10000) < 2000 AS ok FROM (
    SELECT g, ciam_privacy.dp_count(u, 1, 1, 10) AS n FROM attack_spill GROUP BY g
) s;
RESET work_mem;
RESET hash_mem_multiplier;
DROP TABLE attack_spill;
SELECT ciam_privacy.reset_spending(current_user::regrole);
