#!/usr/bin/env bash
# Statistical test of dp_sum (discrete Laplace on the grid of the bounds)
# on neighbouring inputs that differ by one row at a bound. Input a has
# 100 rows of value 0.5, and b has one more row of value 2.0, the upper
# bound of [0, 2].
# The grid step is 2^-29, the sensitivity 2 and the noise discrete Laplace
# of scale 2 / epsilon = 2 in values, so sum - true is, to 2^-29, a
# Laplace variable of scale 2. Checks (helpers in test/lib/statistical.bash):
#   1. chi-square fit of each sample, in 24 bins of width 1 between -12 and
#      12 around the true sum plus two tails, to the Laplace law (1e-4);
#   2. the means differ by 2 (4.5 standard errors);
#   3. epsilon-DP on every half-line of outputs, both directions.
# A correct mechanism fails a run with probability below 5e-4.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=test/lib/statistical.bash
source "$here/lib/statistical.bash"

draws=${CIAM_STAT_DRAWS:-20000}

stat_psql <<SQL
SET client_min_messages = warning;
DROP TABLE IF EXISTS stat_sum_a, stat_sum_b;
CREATE TABLE stat_sum_a AS SELECT 0.5::float8 AS v FROM generate_series(1, 100);
CREATE TABLE stat_sum_b AS SELECT * FROM stat_sum_a UNION ALL SELECT 2.0;
SQL

# Outputs are binned to whole numbers around the true sum for the fit; the
# privacy check uses the raw outputs.
stat_draw "$draws" \
    "SELECT ciam_privacy.dp_sum(v, 0, 2, 1.0) FROM stat_sum_a WHERE i > 0" \
    "SELECT ciam_privacy.dp_sum(v, 0, 2, 1.0) FROM stat_sum_b WHERE i > 0"

fit() {
    local sample=$1 centre=$2 line
    line=$(stat_psql <<SQL
WITH binned AS (
    SELECT greatest(least(floor(output - $centre), 12), -13) AS bin, count(*) AS observed
    FROM stat_draws WHERE sample = '$sample' GROUP BY 1
), law AS (
    -- Laplace of scale 2: P(X < x) = e^(x / 2) / 2 below 0, 1 - e^(-x / 2) / 2 above;
    -- bins -13 and 12 are the tails below -12 and from 12 on
    SELECT b AS bin,
           CASE WHEN b = -13 OR b = 12 THEN exp(-6.0) / 2
                ELSE (CASE WHEN b + 1 < 0 THEN exp((b + 1) / 2.0) / 2 ELSE 1 - exp(-(b + 1) / 2.0) / 2 END)
                   - (CASE WHEN b < 0 THEN exp(b / 2.0) / 2 ELSE 1 - exp(-b / 2.0) / 2 END)
           END * $draws AS expected
    FROM generate_series(-13, 12) b
), chi AS (
    SELECT sum((coalesce(o.observed, 0) - l.expected) ^ 2 / l.expected) AS statistic,
           count(*) - 1 AS df
    FROM law l LEFT JOIN binned o USING (bin)
)
SELECT format('chi2_%s=%s limit=%s df=%s %s', '$sample', round(statistic::numeric, 2),
              round(lim::numeric, 2), df, CASE WHEN statistic < lim THEN 'PASS' ELSE 'FAIL' END)
FROM (SELECT statistic, df, df * (1 - 2.0 / (9 * df) + 3.719 * sqrt(2.0 / (9 * df))) ^ 3 AS lim
      FROM chi) s;
SQL
)
    echo "$line"
    [[ $line == *PASS ]]
}

status=0
fit a 50 || status=1
fit b 52 || status=1
stat_mean_shift 2 || status=1
stat_privacy 1.0 0 || status=1
stat_psql -c "DROP TABLE stat_sum_a, stat_sum_b, stat_draws"
exit $status
