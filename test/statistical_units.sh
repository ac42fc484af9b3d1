#!/usr/bin/env bash
# Statistical test of the per-unit contribution bounds with the discrete
# Laplace mechanism. Input a: 50 units with 10 rows each; input b: the same
# plus one unit with 10 rows, the neighbouring input one unit more.
# dp_count(unit, max_rows 3, max_groups 1, epsilon 1) counts at most 3
# rows per unit, so the true counts are 150 and 153, and the noise is
# discrete Laplace with p = exp(-1 / 3), which keeps one unit's 3 rows
# within epsilon 1. Checks (helpers in test/lib/statistical.bash):
#   1. chi-square fit of each sample to that law (significance 1e-4);
#   2. the means differ by 3 (4.5 standard errors);
#   3. epsilon-DP (delta 0) on every half-line of outputs, both directions
#      (5 standard errors, at most 800 comparisons).
# A correct mechanism fails a run with probability below 5e-4. Without the
# row bound, the extra unit would shift the output by 10 rows and break 3.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=test/lib/statistical.bash
source "$here/lib/statistical.bash"

draws=${CIAM_STAT_DRAWS:-20000}

stat_psql <<SQL
SET client_min_messages = warning;
DROP TABLE IF EXISTS stat_units_a, stat_units_b;
CREATE TABLE stat_units_a AS SELECT u, r FROM generate_series(1, 50) u, generate_series(1, 10) r;
CREATE TABLE stat_units_b AS SELECT * FROM stat_units_a UNION ALL SELECT 51, r FROM generate_series(1, 10) r;
SQL

stat_draw "$draws" \
    "SELECT ciam_privacy.dp_count(u, 3, 1, 1.0) FROM stat_units_a WHERE i > 0" \
    "SELECT ciam_privacy.dp_count(u, 3, 1, 1.0) FROM stat_units_b WHERE i > 0"

law() {
    local centre=$1
    echo "SELECT ($centre + z)::numeric, (1 - exp(-1.0 / 3)) / (1 + exp(-1.0 / 3)) * exp(-abs(z) / 3.0)
          FROM generate_series(-150, 150) z"
}

status=0
stat_chi2 a "$(law 150)" || status=1
stat_chi2 b "$(law 153)" || status=1
stat_mean_shift 3 || status=1
stat_privacy 1.0 0 || status=1
stat_psql -c "DROP TABLE stat_units_a, stat_units_b, stat_draws"
exit $status
