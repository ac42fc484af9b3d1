#!/usr/bin/env bash
# Statistical test of the exponential mechanism of dp_median. Input a: the
# values 1 to 20 within bounds [0, 32], one value per bucket of width
# 32 / 2048; input b: the same plus one value at the upper bound. This
# script computes the law of the output from the data. Bucket i is returned
# with probability proportional to exp(-epsilon d_i / 2). d_i is the
# distance in ranks from the target rank (n / 2) to the ranks that the
# bucket's values occupy. Checks (helpers in test/lib/statistical.bash):
#   1. chi-square fit of each sample to its law (significance 1e-4);
#   2. epsilon-DP on every half-line of outputs, both directions.
# A correct mechanism fails a run with probability below 5e-4.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=test/lib/statistical.bash
source "$here/lib/statistical.bash"

draws=${CIAM_STAT_DRAWS:-20000}
epsilon=1.0

stat_psql <<SQL
SET client_min_messages = warning;
DROP TABLE IF EXISTS stat_median_a, stat_median_b;
CREATE TABLE stat_median_a AS SELECT v::float8 AS v FROM generate_series(1, 20) v;
CREATE TABLE stat_median_b AS SELECT * FROM stat_median_a UNION ALL SELECT 32.0;
SQL

stat_draw "$draws" \
    "SELECT ciam_privacy.dp_median(v, 0, 32, $epsilon) FROM stat_median_a WHERE i > 0" \
    "SELECT ciam_privacy.dp_median(v, 0, 32, $epsilon) FROM stat_median_b WHERE i > 0"

law() {
    local table=$1
    echo "WITH buckets AS (
              SELECT least(floor(v * 64), 2047) AS b FROM $table
          ), n AS (SELECT count(*) / 2.0 AS target FROM buckets),
          d AS (
              SELECT i, greatest(0, (SELECT count(*) FROM buckets WHERE b < i) - n.target,
                                    n.target - (SELECT count(*) FROM buckets WHERE b <= i)) AS distance
              FROM generate_series(0, 2047) i, n
          )
          SELECT ((i + 0.5) / 64)::numeric, exp(-$epsilon * distance / 2) / sum(exp(-$epsilon * distance / 2)) OVER ()
          FROM d"
}

status=0
stat_chi2 a "$(law stat_median_a)" || status=1
stat_chi2 b "$(law stat_median_b)" || status=1
stat_privacy "$epsilon" 0 || status=1
stat_psql -c "DROP TABLE stat_median_a, stat_median_b, stat_draws"
exit $status
