# Helpers of the statistical tests under test/ (sourced, not run as a test).
# A test draws a release many times on two neighbouring inputs, a and b,
# into the table stat_draws (sample text, output numeric), then calls the
# checks below. Each check prints one line ending in PASS or FAIL and
# returns non-zero on FAIL. Uses the cluster that PGHOST and PGPORT name.

stat_psql() {
    psql -X -q -A -t -v ON_ERROR_STOP=1 "$@"
}

# stat_draw N SQL_A SQL_B: N draws of each scalar query. The queries must
# reference the outer row i (for example "WHERE i > 0") so that PostgreSQL
# runs them again, with fresh noise and a fresh charge, for every row.
stat_draw() {
    local n=$1 a=$2 b=$3
    stat_psql <<SQL
SET client_min_messages = warning;
-- a fresh budget: 40000 draws of delta 1e-7 need 0.004 of the 0.01 allowed
DELETE FROM ciam_privacy.budget WHERE role = current_user::regrole;
SELECT ciam_privacy.set_budget(current_user::regrole, 1000000, 0.01) \g /dev/null
DROP TABLE IF EXISTS stat_draws;
CREATE TABLE stat_draws AS
    SELECT 'a'::text AS sample, ($a)::numeric AS output FROM generate_series(1, $n) i
    UNION ALL
    SELECT 'b', ($b)::numeric FROM generate_series(1, $n) i;
SQL
}

# stat_chi2 SAMPLE LAW_SQL: chi-square goodness of fit of one sample to a
# law given as a query of (output numeric, probability float8) rows, at
# significance 1e-4. Cells expected below 5 draws are pooled into one.
stat_chi2() {
    local sample=$1 law=$2 line
    line=$(stat_psql <<SQL
WITH n AS (
    SELECT count(*) AS draws FROM stat_draws WHERE sample = '$sample'
), law AS (
    SELECT output, probability FROM ($law) l(output, probability)
), cells AS (
    SELECT CASE WHEN l.probability * n.draws >= 5 THEN l.output::text ELSE 'pooled' END AS cell,
           l.output, l.probability * n.draws AS expected
    FROM law l, n
), expected AS (
    SELECT cell, sum(expected) AS expected FROM cells GROUP BY cell
    UNION ALL
    -- the rest of the law's mass, outside the outputs it lists
    SELECT 'outside', greatest((SELECT draws FROM n) - (SELECT sum(expected) FROM cells), 0)
), observed AS (
    SELECT coalesce(c.cell, 'outside') AS cell, count(*) AS observed
    FROM stat_draws d LEFT JOIN cells c ON c.output = d.output
    WHERE d.sample = '$sample' GROUP BY 1
), chi AS (
    SELECT sum((coalesce(o.observed, 0) - e.expected) ^ 2 / e.expected) AS statistic,
           count(*) - 1 AS df
    FROM expected e LEFT JOIN observed o USING (cell)
    WHERE e.expected > 0
)
-- Wilson-Hilferty approximation of the chi-square quantile 1 - 1e-4 (z = 3.719)
SELECT format('chi2_%s=%s limit=%s df=%s %s', '$sample', round(statistic::numeric, 2),
              round(lim::numeric, 2), df, CASE WHEN statistic < lim THEN 'PASS' ELSE 'FAIL' END)
FROM (SELECT statistic, df, df * (1 - 2.0 / (9 * df) + 3.719 * sqrt(2.0 / (9 * df))) ^ 3 AS lim
      FROM chi) s;
SQL
)
    echo "$line"
    [[ $line == *PASS ]]
}

# stat_privacy EPSILON DELTA: the definition of (epsilon, delta)-DP on the
# half-lines S = {output >= k} and S = {output <= k}, in both directions:
# P_a(S) <= e^epsilon P_b(S) + delta, and the same with a and b swapped.
# k runs over the outputs seen between the 0.5 % and 99.5 % quantiles (at
# most 200 of them). Each inequality is checked with a margin of 5
# standard errors (one-sided 2.9e-7), so a correct mechanism fails one of
# at most 800 comparisons with probability below 2.3e-4.
stat_privacy() {
    local epsilon=$1 delta=$2 line
    line=$(stat_psql <<SQL
WITH n AS (
    SELECT count(*) FILTER (WHERE sample = 'a')::float8 AS na,
           count(*) FILTER (WHERE sample = 'b')::float8 AS nb FROM stat_draws
), range AS (
    SELECT percentile_disc(0.005) WITHIN GROUP (ORDER BY output) AS low,
           percentile_disc(0.995) WITHIN GROUP (ORDER BY output) AS high FROM stat_draws
), candidates AS (
    SELECT DISTINCT output AS k FROM stat_draws, range WHERE output BETWEEN low AND high
), thresholds AS (
    SELECT k FROM (SELECT k, row_number() OVER (ORDER BY k) AS r, count(*) OVER () AS c
                   FROM candidates) c
    WHERE (r - 1) % greatest(c / 200, 1) = 0
), shares AS (
    SELECT t.k, dir,
           count(*) FILTER (WHERE d.sample = 'a' AND CASE dir WHEN 'ge' THEN d.output >= t.k ELSE d.output <= t.k END) / n.na AS pa,
           count(*) FILTER (WHERE d.sample = 'b' AND CASE dir WHEN 'ge' THEN d.output >= t.k ELSE d.output <= t.k END) / n.nb AS pb,
           n.na, n.nb
    FROM thresholds t CROSS JOIN (VALUES ('ge'), ('le')) v(dir) CROSS JOIN stat_draws d CROSS JOIN n
    GROUP BY t.k, dir, n.na, n.nb
), excess AS (
    SELECT k, dir,
           (pa - exp($epsilon) * pb - $delta)
             / greatest(sqrt(pa * (1 - pa) / na + exp(2 * $epsilon) * pb * (1 - pb) / nb), 1e-12) AS z_ab,
           (pb - exp($epsilon) * pa - $delta)
             / greatest(sqrt(pb * (1 - pb) / nb + exp(2 * $epsilon) * pa * (1 - pa) / na), 1e-12) AS z_ba
    FROM shares
)
SELECT format('halflines=%s max_z=%s %s', count(*), round(max(greatest(z_ab, z_ba))::numeric, 2),
              CASE WHEN max(greatest(z_ab, z_ba)) < 5 THEN 'PASS' ELSE 'FAIL' END)
FROM excess;
SQL
)
    echo "$line"
    [[ $line == *PASS ]]
}

# stat_mean_shift EXPECTED: the mean of b minus the mean of a is EXPECTED,
# within 4.5 standard errors (two-sided 7e-6).
stat_mean_shift() {
    local expected=$1 line
    line=$(stat_psql <<SQL
WITH m AS (
    SELECT avg(output) FILTER (WHERE sample = 'a') AS mean_a,
           avg(output) FILTER (WHERE sample = 'b') AS mean_b,
           variance(output) FILTER (WHERE sample = 'a') / count(*) FILTER (WHERE sample = 'a')
             + variance(output) FILTER (WHERE sample = 'b') / count(*) FILTER (WHERE sample = 'b') AS var
    FROM stat_draws
)
SELECT format('shift=%s expected=%s %s', round(mean_b - mean_a, 3), $expected,
              CASE WHEN abs(mean_b - mean_a - $expected) < 4.5 * sqrt(var) THEN 'PASS' ELSE 'FAIL' END)
FROM m;
SQL
)
    echo "$line"
    [[ $line == *PASS ]]
}
