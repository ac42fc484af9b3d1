#!/usr/bin/env bash
# Statistical test of the discrete Gaussian mechanism: dp_count(value,
# epsilon, delta) on two neighbouring inputs, 100 rows and 101 rows, at
# delta 1e-7 and epsilon 1 and 4. The classic calibration
# sigma = sqrt(2 ln(1.25 / delta)) / epsilon is proven only for epsilon
# below 1, and the analytic one is valid at every epsilon, so epsilon 4
# checks the range where only the analytic sigma applies. Checks at each epsilon
# (helpers in test/lib/statistical.bash):
#   1. chi-square fit of each sample (significance 1e-4) to the discrete
#      Gaussian law with the sigma of the analytic Gaussian mechanism,
#      computed here independently of the C code (bisection on the delta of
#      Balle and Wang 2018, normal distribution from Abramowitz and Stegun
#      26.2.17, error below 1e-7);
#   2. the means differ by 1 (4.5 standard errors);
#   3. (epsilon, delta)-DP on every half-line of outputs, both directions
#      (5 standard errors on each of at most 800 comparisons).
# A correct mechanism fails a run (both epsilons) with probability below 1e-3.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=test/lib/statistical.bash
source "$here/lib/statistical.bash"

draws=${CIAM_STAT_DRAWS:-20000}
delta=1e-7

stat_psql <<SQL
SET client_min_messages = warning;
DROP TABLE IF EXISTS stat_rows_a, stat_rows_b;
CREATE TABLE stat_rows_a AS SELECT g FROM generate_series(1, 100) g;
CREATE TABLE stat_rows_b AS SELECT g FROM generate_series(1, 101) g;
SQL

# analytic_sigma EPSILON: print the smallest sigma whose delta at EPSILON
# is at most $delta, for sensitivity 1.
analytic_sigma() {
    local epsilon=$1
    stat_psql <<SQL
CREATE FUNCTION pg_temp.phi_pos(x float8) RETURNS float8 LANGUAGE sql IMMUTABLE AS \$\$
    SELECT CASE WHEN x > 37 THEN 1
           ELSE 1 - exp(-x * x / 2) / sqrt(2 * pi()) * (0.319381530 * t - 0.356563782 * t ^ 2
                + 1.781477937 * t ^ 3 - 1.821255978 * t ^ 4 + 1.330274429 * t ^ 5) END
    FROM (SELECT 1 / (1 + 0.2316419 * x) AS t) s
\$\$;
CREATE FUNCTION pg_temp.phi(x float8) RETURNS float8 LANGUAGE sql IMMUTABLE AS \$\$
    SELECT CASE WHEN x < 0 THEN 1 - pg_temp.phi_pos(-x) ELSE pg_temp.phi_pos(x) END
\$\$;
CREATE FUNCTION pg_temp.gauss_delta(eps float8, sigma float8) RETURNS float8 LANGUAGE sql AS \$\$
    SELECT pg_temp.phi(1 / (2 * sigma) - eps * sigma) - exp(eps) * pg_temp.phi(-1 / (2 * sigma) - eps * sigma)
\$\$;
DO \$\$
DECLARE
    low float8 := 0.01;
    high float8 := 100;
    mid float8;
BEGIN
    FOR i IN 1..100 LOOP
        mid := (low + high) / 2;
        IF pg_temp.gauss_delta($epsilon, mid) > $delta THEN low := mid; ELSE high := mid; END IF;
    END LOOP;
    PERFORM set_config('stat.sigma', high::text, false);
END;
\$\$;
SELECT current_setting('stat.sigma');
SQL
}

# law SIGMA CENTRE: print the discrete Gaussian law around CENTRE as a
# query of (output, probability) rows for stat_chi2.
law() {
    local sigma=$1 centre=$2
    echo "SELECT ($centre + z)::numeric, exp(-z * z / (2 * $sigma ^ 2)) / sum(exp(-z * z / (2 * $sigma ^ 2))) OVER ()
          FROM generate_series(-80, 80) z"
}

# check_epsilon EPSILON: draw both inputs at EPSILON and run the three
# checks. Return non-zero if one of them fails.
check_epsilon() {
    local epsilon=$1 sigma status=0
    sigma=$(analytic_sigma "$epsilon")
    echo "epsilon=$epsilon delta=$delta analytic Gaussian sigma=$sigma"

    stat_draw "$draws" \
        "SELECT ciam_privacy.dp_count(g, $epsilon, $delta) FROM stat_rows_a WHERE i > 0" \
        "SELECT ciam_privacy.dp_count(g, $epsilon, $delta) FROM stat_rows_b WHERE i > 0"

    stat_chi2 a "$(law "$sigma" 100)" || status=1
    stat_chi2 b "$(law "$sigma" 101)" || status=1
    stat_mean_shift 1 || status=1
    stat_privacy "$epsilon" "$delta" || status=1
    return $status
}

status=0
check_epsilon 1.0 || status=1
check_epsilon 4.0 || status=1
stat_psql -c "DROP TABLE stat_rows_a, stat_rows_b, stat_draws"
exit $status
