#!/usr/bin/env bash
# Statistical test of group selection: GROUP BY g HAVING
# dp_select_units(unit, 1, epsilon 1, delta 0.01) IS NOT NULL, with the
# same call in the select list releasing the count. The neighbouring
# inputs are a group whose rows have no unit (NULL units) and the same
# group with one unit. A third input has 7 units. Outputs are the released
# count, or -1 when the group is not released.
#
# The threshold is computed here from the formula of docs/dp.md,
# independently of the C code: with p = exp(-epsilon / max_groups),
# tau = 2 + ceil(ln(delta (1 + p) / max_groups) / ln p), which is 7 here.
# The noise is discrete Laplace, P(Z = z) = (1 - p) / (1 + p) p^|z|.
# Delta 0.01, the largest a query may use, gives a one-unit group a pass
# rate of 0.0018, so the default 20000 draws see about 36 passes and a
# threshold one too low about 99. The group without units and the 7-unit
# group get half as many draws each. Checks:
#   1. dp_select_units_threshold returns tau;
#   2. the group without units is never released (if the engine released it
#      whenever the noise alone reached tau, 10000 draws would see about
#      6.7 releases, and none with probability 0.0013);
#   3. (epsilon, delta)-DP between the two neighbours: the one-unit group
#      is released in at most a share delta / max_groups of the draws,
#      with an allowance of 4.5 standard errors (one-sided 3.4e-6);
#   4. chi-square fit (significance 1e-4, test/lib/statistical.bash) of the
#      one-unit outputs and of the 7-unit outputs to their laws: -1 with
#      the probability P(units + Z < tau), and each k >= tau with the
#      probability P(Z = k - units). Outputs below tau have probability 0,
#      so a lower threshold, or a released value drawn apart from the
#      HAVING decision, fails this check.
# A correct engine fails a run with probability below 2.1e-4.
#
# Each draw spends delta 0.01, the largest delta limit a budget may have,
# so the test resets the role's spending before every draw.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=test/lib/statistical.bash
source "$here/lib/statistical.bash"

draws=${CIAM_STAT_DRAWS:-20000}
other_draws=$((draws / 2))
epsilon=1.0
delta=0.01
max_groups=1

stat_psql <<SQL
SET client_min_messages = warning;
DROP TABLE IF EXISTS stat_select_zero, stat_select_one, stat_select_many, stat_draws;
CREATE TABLE stat_select_zero AS SELECT 'x'::text AS g, NULL::int AS u FROM generate_series(1, 3);
CREATE TABLE stat_select_one AS SELECT 'x'::text AS g, 1 AS u FROM generate_series(1, 3);
CREATE TABLE stat_select_many AS SELECT 'x'::text AS g, u FROM generate_series(1, 7) u, generate_series(1, 2);
CREATE TABLE stat_draws (sample text, output numeric);
DELETE FROM ciam_privacy.budget WHERE role = current_user::regrole;
SELECT ciam_privacy.set_budget(current_user::regrole, 1000000, $delta) \g /dev/null
SQL

tau=$(stat_psql -c "SELECT 2 + ceil(ln($delta * (1 + exp(-$epsilon / $max_groups)) / $max_groups)
                                  / (-$epsilon / $max_groups))::int")
p="exp(-$epsilon / $max_groups)"
echo "epsilon=$epsilon delta=$delta max_groups=$max_groups tau=$tau"

# select_draws SAMPLE TABLE N: run the grouped query on TABLE N times into
# stat_draws, resetting the role's spending before each run.
select_draws() {
    local sample=$1 table=$2 n=$3
    stat_psql <<SQL
DO \$\$
DECLARE
    analyst regrole := current_user::regrole;
    output numeric;
BEGIN
    FOR i IN 1..$n LOOP
        PERFORM ciam_privacy.reset_spending(analyst);
        SELECT coalesce((
            SELECT ciam_privacy.dp_select_units(u, $max_groups, $epsilon, $delta)
            FROM $table
            GROUP BY g
            HAVING ciam_privacy.dp_select_units(u, $max_groups, $epsilon, $delta) IS NOT NULL), -1)
        INTO output;
        INSERT INTO stat_draws VALUES ('$sample', output);
    END LOOP;
END;
\$\$;
SQL
}

# law UNITS: print the law of the outputs of a group with UNITS units as a
# query of (output, probability) rows for stat_chi2. Outputs 0 to tau - 1
# are listed with probability 0, so that draws there count against the fit.
law() {
    local units=$1
    echo "SELECT -1::numeric, sum((1 - $p) / (1 + $p) * $p ^ abs(z))
          FROM generate_series(-200, $tau - 1 - $units) z
          UNION ALL
          SELECT k::numeric, CASE WHEN k >= $tau THEN (1 - $p) / (1 + $p) * $p ^ abs(k - $units) ELSE 0 END
          FROM generate_series(0, $units + 200) k"
}

select_draws zero stat_select_zero "$other_draws"
select_draws a stat_select_one "$draws"
select_draws b stat_select_many "$other_draws"

status=0

line=$(stat_psql -c "SELECT format('threshold=%s expected=%s %s', t, $tau, CASE WHEN t = $tau THEN 'PASS' ELSE 'FAIL' END)
                     FROM ciam_privacy.dp_select_units_threshold($epsilon, $delta, $max_groups) t")
echo "$line"
[[ $line == *PASS ]] || status=1

line=$(stat_psql -c "SELECT format('zero_units_released=%s of %s %s', count(*) FILTER (WHERE output <> -1), count(*),
                                   CASE WHEN count(*) FILTER (WHERE output <> -1) = 0 THEN 'PASS' ELSE 'FAIL' END)
                     FROM stat_draws WHERE sample = 'zero'")
echo "$line"
[[ $line == *PASS ]] || status=1

line=$(stat_psql <<SQL
WITH s AS (
    SELECT count(*) FILTER (WHERE output <> -1)::float8 / count(*) AS share,
           count(*) AS n,
           $delta::float8 / $max_groups AS bound
    FROM stat_draws WHERE sample = 'a'
)
SELECT format('one_unit_released=%s limit=%s %s', round(share::numeric, 5),
              round((bound + 4.5 * sqrt(bound * (1 - bound) / n))::numeric, 5),
              CASE WHEN share <= bound + 4.5 * sqrt(bound * (1 - bound) / n) THEN 'PASS' ELSE 'FAIL' END)
FROM s;
SQL
)
echo "$line"
[[ $line == *PASS ]] || status=1

stat_chi2 a "$(law 1)" || status=1
stat_chi2 b "$(law 7)" || status=1

stat_psql -c "DROP TABLE stat_select_zero, stat_select_one, stat_select_many, stat_draws"
exit $status
