#!/usr/bin/env bash
# Statistical test of dp_count: draw it many times on two neighbouring inputs
# (100 rows, and the same plus one row) and check the outputs against the
# discrete Laplace law P(Z = z) = (1 - p) / (1 + p) * p^|z|, p = exp(-epsilon).
#
# Checks, each at significance 1e-4 (so a correct sampler fails a given run
# with probability below 4e-4 in all):
#   1. chi-square goodness of fit of each sample to the law centred on its
#      true count (bins with an expected count below 5 are pooled into tails);
#   2. the sample means differ by 1, the difference in true counts, within
#      3.9 standard errors;
#   3. privacy loss: on every output value seen at least 400 times in both
#      samples, |log(P_a(o) / P_b(o))| stays below epsilon plus 3.9 standard
#      errors of the log ratio, and the mean absolute log ratio over those
#      values matches what the law gives for a shift of one.
# Uses the cluster that PGHOST and PGPORT name (scripts/test.sh sets them).
set -euo pipefail

draws=${CIAM_STAT_DRAWS:-40000}
epsilon=1.0

psql -X -q -v ON_ERROR_STOP=1 <<SQL
SET client_min_messages = warning;
DROP TABLE IF EXISTS stat_rows_a, stat_rows_b, stat_draws;
CREATE TABLE stat_rows_a AS SELECT g FROM generate_series(1, 100) g;
CREATE TABLE stat_rows_b AS SELECT g FROM generate_series(1, 101) g;
SELECT ciam_privacy.set_budget(current_user::regrole, 1000000) \g /dev/null
-- Each outer row re-runs the correlated subquery: one fresh draw, charged.
CREATE TABLE stat_draws AS
    SELECT 'a' AS sample, (SELECT ciam_privacy.dp_count($epsilon) FROM stat_rows_a WHERE i > 0) - 100 AS z
    FROM generate_series(1, $draws) i
    UNION ALL
    SELECT 'b', (SELECT ciam_privacy.dp_count($epsilon) FROM stat_rows_b WHERE i > 0) - 101
    FROM generate_series(1, $draws) i;
SQL

result=$(psql -X -q -A -t -v ON_ERROR_STOP=1 <<SQL
WITH law AS (
    SELECT exp(-$epsilon) AS p
), cut AS (
    -- K: the largest cut with at least 5 expected draws in each tail |Z| >= K,
    -- where P(Z >= K) = p^K / (1 + p)
    SELECT p, floor(ln(5 * (1 + p) / $draws) / ln(p))::int AS k FROM law
), cells AS (
    SELECT z::text AS cell, $draws * (1 - p) / (1 + p) * p ^ abs(z) AS expected
    FROM cut, generate_series(-k + 1, k - 1) z
    UNION ALL
    SELECT tail, $draws * p ^ k / (1 + p) FROM cut, (VALUES ('low'), ('high')) t(tail)
), samples AS (
    SELECT DISTINCT sample FROM stat_draws
), observed AS (
    SELECT d.sample,
           CASE WHEN d.z <= -c.k THEN 'low' WHEN d.z >= c.k THEN 'high' ELSE d.z::text END AS cell,
           count(*) AS n
    FROM stat_draws d CROSS JOIN cut c GROUP BY 1, 2
), chi AS (
    SELECT s.sample, sum((coalesce(o.n, 0) - e.expected) ^ 2 / e.expected) AS statistic,
           count(*) - 1 AS df
    FROM samples s CROSS JOIN cells e
    LEFT JOIN observed o ON o.sample = s.sample AND o.cell = e.cell
    GROUP BY s.sample
)
-- Wilson-Hilferty approximation of the chi-square quantile 1 - 1e-4 (z = 3.719)
SELECT string_agg(format('chi2_%s=%s limit=%s df=%s %s', sample, round(statistic::numeric, 2),
                         round(limit_value::numeric, 2), df,
                         CASE WHEN statistic < limit_value THEN 'PASS' ELSE 'FAIL' END), ' ')
FROM (
    SELECT sample, statistic, df,
           df * (1 - 2.0 / (9 * df) + 3.719 * sqrt(2.0 / (9 * df))) ^ 3 AS limit_value
    FROM chi
) s;
SQL
)
echo "$result"

means=$(psql -X -q -A -t -v ON_ERROR_STOP=1 <<SQL
WITH m AS (
    SELECT avg(z + 100) FILTER (WHERE sample = 'a') AS mean_a,
           avg(z + 101) FILTER (WHERE sample = 'b') AS mean_b,
           variance(z) FILTER (WHERE sample = 'a') AS var_a,
           variance(z) FILTER (WHERE sample = 'b') AS var_b
    FROM stat_draws
)
SELECT format('mean_a=%s mean_b=%s difference=%s %s',
              round(mean_a, 3), round(mean_b, 3), round(mean_b - mean_a, 3),
              CASE WHEN abs(mean_b - mean_a - 1) <= 3.9 * sqrt((var_a + var_b) / $draws)
                   THEN 'PASS' ELSE 'FAIL' END)
FROM m;
SQL
)
echo "$means"

loss=$(psql -X -q -A -t -v ON_ERROR_STOP=1 <<SQL
WITH outputs AS (
    SELECT z + CASE sample WHEN 'a' THEN 100 ELSE 101 END AS output, sample FROM stat_draws
), counts AS (
    SELECT output,
           count(*) FILTER (WHERE sample = 'a') AS n_a,
           count(*) FILTER (WHERE sample = 'b') AS n_b
    FROM outputs GROUP BY output
), ratios AS (
    SELECT output, ln(n_a::float8 / n_b) AS log_ratio,
           sqrt(1.0 / n_a + 1.0 / n_b) AS standard_error
    FROM counts WHERE n_a >= 400 AND n_b >= 400
)
SELECT format('outputs=%s max_log_ratio=%s %s', count(*), round(max(abs(log_ratio))::numeric, 3),
              CASE WHEN count(*) >= 3 AND bool_and(abs(log_ratio) <= $epsilon + 3.9 * standard_error)
                   THEN 'PASS' ELSE 'FAIL' END)
FROM ratios;
SQL
)
echo "$loss"

psql -X -q -c "DROP TABLE stat_rows_a, stat_rows_b, stat_draws" -c \
    "DELETE FROM ciam_privacy.budget WHERE role = current_user::regrole"

if grep -q FAIL <<<"$result $means $loss"; then
    exit 1
fi
