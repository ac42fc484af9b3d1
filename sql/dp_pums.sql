-- Real input: the PUMS sample of 1000 people with a person id (pid) and
-- the published bounds of its columns (data/pums/PUMS_pid.yaml: age in
-- [0, 100], income in [0, 500000]). Each person appears three times in
-- pums_visits, as a person with many rows would. The per-person forms
-- count each person once; the row-level forms count rows. Tolerances are
-- at least 40 noise scales (failure below 1e-16 per check).
SET client_min_messages = warning;
SELECT ciam_privacy.set_budget(current_user::regrole, 100000, 0.01);
CREATE TABLE pums (age int, sex text, educ text, race text, income float8, married text, pid int);
\copy pums FROM 'data/pums/PUMS_pid.csv' WITH (FORMAT csv, HEADER)
CREATE TABLE pums_visits AS SELECT p.*, v AS visit FROM pums p, generate_series(1, 3) v;
ANALYZE pums_visits;

-- exact values, for the record
SELECT count(*) AS rows, count(DISTINCT pid) AS people, sum(income) AS income,
       round(avg(age), 3) AS mean_age, round(var_pop(age), 2) AS variance_age,
       percentile_disc(0.5) WITHIN GROUP (ORDER BY age) AS median_age
FROM pums;

-- people, not rows: 1000 people behind 3000 rows
SELECT abs(ciam_privacy.dp_count_units(pid, 1, 10) - 1000) < 4 AS people,
       abs(ciam_privacy.dp_count(pid, 1, 1, 10) - 1000) < 4 AS one_row_each,
       abs(ciam_privacy.dp_count(visit, 10) - 3000) < 4 AS row_level_counts_rows
FROM pums_visits;
-- one random row per person: the person's income, age, once
SELECT abs(ciam_privacy.dp_sum(pid, income, 0, 500000, 1, 1, 10) - 34380084) < 2000000 AS income_sum,
       abs(ciam_privacy.dp_avg(pid, age, 0, 100, 1, 1, 10) - 44.797) < 0.5 AS mean_age,
       abs(ciam_privacy.dp_variance(pid, age, 0, 100, 1, 1, 10) - 314.58) < 35 AS variance_age,
       abs(ciam_privacy.dp_stddev(pid, income, 0, 500000, 1, 1, 10) - 51465) < 5000 AS stddev_income,
       abs(ciam_privacy.dp_median(pid, age, 0, 100, 1, 1, 10) - 42) < 3 AS median_age
FROM pums_visits;
-- the Gaussian forms
SELECT abs(ciam_privacy.dp_sum(pid, income, 0, 500000, 1, 1, 10, 1e-6) - 34380084) < 10000000 AS income_sum,
       abs(ciam_privacy.dp_count_units(pid, 1, 10, 1e-6) - 1000) < 40 AS people
FROM pums_visits;
-- per sex, each person in one group: 486 and 514 people
SELECT sex, abs(n - people) < 4 AS people_ok, abs(income - exact) < 2000000 AS income_ok FROM (
    SELECT sex, ciam_privacy.dp_count_units(pid, 1, 10) AS n,
           ciam_privacy.dp_sum(pid, income, 0, 500000, 1, 1, 10) AS income
    FROM pums_visits GROUP BY sex
) d JOIN (SELECT sex, count(*) AS people, sum(income) AS exact FROM pums GROUP BY sex) e USING (sex)
ORDER BY sex;
-- group selection over education levels: every level with 30 people or
-- more passes the threshold of 16 at epsilon 1 (noise scale 1)
SELECT count(*) FILTER (WHERE e.people >= 30) = count(s.educ) FILTER (WHERE e.people >= 30) AS large_levels_released,
       bool_and(s.n IS NULL OR s.n >= ciam_privacy.dp_select_units_threshold(1, 1e-6)) AS released_above_threshold
FROM (SELECT educ, count(*) AS people FROM pums GROUP BY educ) e
LEFT JOIN (
    SELECT educ, ciam_privacy.dp_select_units(pid, 1, 1, 1e-6) AS n FROM pums_visits GROUP BY educ
    HAVING ciam_privacy.dp_select_units(pid, 1, 1, 1e-6) IS NOT NULL
) s USING (educ);

DELETE FROM ciam_privacy.budget WHERE role = current_user::regrole;
DROP TABLE pums, pums_visits;
