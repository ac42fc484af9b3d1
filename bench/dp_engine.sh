#!/usr/bin/env bash
# Time the DP engine's aggregates against the built-in ones they replace,
# on tables of 1M and 10M rows, with parallel and serial plans:
#   dp_sum, dp_avg, dp_variance    against sum, avg, var_samp  (target 1.2x)
#   dp_count_units (per person)    against count(DISTINCT unit) (target 1.5x)
#   dp_median                      against percentile_cont(0.5) (target 1.0x)
# Run as root: it runs scripts/setup.sh, starts a fresh private cluster
# named "bench-dp" (its old data, if any, is deleted) and stops it at the end.
#
# Method
#   One psql session per table size and plan mode. It runs every query
#   once untimed, then BENCH_REPS rounds; a round runs each built-in query
#   directly followed by its DP counterpart, so both see the same load.
#   Times are psql's \timing (wall clock at the client, Unix socket). The
#   table reports the median of each query and the ratio of the medians.
#   The parallel mode keeps the cluster's settings (2 workers per gather);
#   the serial mode sets max_parallel_workers_per_gather to 0.
#
# Settings (environment variables)
#   BENCH_PORT    port of the private cluster (default 56010)
#   BENCH_REPS    timed rounds per table size and mode (default 3, at least 1)
#   BENCH_SIZES   table sizes in rows (default "1000000 10000000")
#
# Output: the Markdown table on stdout; raw timings in
# tmp/bench/dp_engine-<date>-<time>/timings.csv.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
port=${BENCH_PORT:-56010}
reps=${BENCH_REPS:-3}
sizes=${BENCH_SIZES:-"1000000 10000000"}
export LC_ALL=C

die() {
    echo "dp_engine.sh: $*" >&2
    exit 1
}

[ "$(id -u)" -eq 0 ] || die "run as root (it runs scripts/setup.sh and starts a cluster as the postgres user)"
[[ $port =~ ^[0-9]+$ ]] && [ "$port" -ge 1024 ] && [ "$port" -le 65535 ] ||
    die "BENCH_PORT=$port is invalid; use a port from 1024 to 65535"
[[ $reps =~ ^[0-9]+$ ]] && [ "$reps" -ge 1 ] || die "BENCH_REPS=$reps is invalid; use 1 or more"
for size in $sizes; do
    [[ $size =~ ^[0-9]+$ ]] && [ "$size" -ge 10 ] || die "BENCH_SIZES contains '$size'; use row counts of 10 or more"
done

out="$root/tmp/bench/dp_engine-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$out"
started=$(date +%s)

# label, built-in query, DP query, target ratio; TABLE is the table name
labels=(sum avg variance distinct_units median)
builtin=(
    "SELECT sum(v) FROM TABLE"
    "SELECT avg(v) FROM TABLE"
    "SELECT var_samp(v) FROM TABLE"
    "SELECT count(DISTINCT unit) FROM TABLE"
    "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY v) FROM TABLE"
)
dp=(
    "SELECT ciam_privacy.dp_sum(v, 0, 100, 1.0) FROM TABLE"
    "SELECT ciam_privacy.dp_avg(v, 0, 100, 1.0) FROM TABLE"
    "SELECT ciam_privacy.dp_variance(v, 0, 100, 1.0) FROM TABLE"
    "SELECT ciam_privacy.dp_count_units(unit, 1, 1.0) FROM TABLE"
    "SELECT ciam_privacy.dp_median(v, 0, 100, 1.0) FROM TABLE"
)
targets=(1.2 1.2 1.2 1.5 1.0)

bash "$root/scripts/setup.sh" >"$out/setup.log" 2>&1 || die "scripts/setup.sh failed; see $out/setup.log"
# shellcheck source=scripts/cluster.sh
source "$root/scripts/cluster.sh"
cluster_start bench-dp "$port" >"$out/cluster.log" 2>&1 || die "could not start the cluster; see $out/cluster.log"
trap 'cluster_stop bench-dp >/dev/null 2>&1 || true' EXIT

run_psql() {
    psql -X -q -v ON_ERROR_STOP=1 -d postgres "$@"
}

run_psql <<SQL
CREATE EXTENSION ciam_privacy;
-- every DP query charges epsilon 1.0; spending is permanent
SELECT ciam_privacy.set_budget(current_user::regrole, 1000000) \g /dev/null
SQL

echo "size,mode,round,label,side,ms" >"$out/timings.csv"
for size in $sizes; do
    table="bench_$size"
    # v spreads over [0, 100) with one decimal; each unit has 10 rows
    run_psql <<SQL
CREATE TABLE $table AS
    SELECT g AS id, g % greatest($size / 10, 1) AS unit, ((g::bigint * 7919) % 1000) / 10.0::float8 AS v
    FROM generate_series(1, $size) g;
VACUUM ANALYZE $table;
CHECKPOINT;
SQL
    for mode in parallel serial; do
        script="$out/run-$size-$mode.sql"
        {
            echo "SET client_min_messages = warning;"
            [ "$mode" = serial ] && echo "SET max_parallel_workers_per_gather = 0;"
            # warm-up
            for i in "${!labels[@]}"; do
                echo "${builtin[$i]//TABLE/$table};"
                echo "${dp[$i]//TABLE/$table};"
            done
            echo "\\timing on"
            for round in $(seq 1 "$reps"); do
                for i in "${!labels[@]}"; do
                    echo "\\echo MARK $round ${labels[$i]} builtin"
                    echo "${builtin[$i]//TABLE/$table};"
                    echo "\\echo MARK $round ${labels[$i]} dp"
                    echo "${dp[$i]//TABLE/$table};"
                done
            done
        } >"$script"
        run_psql -f "$script" >"$out/run-$size-$mode.log"
        awk -v size="$size" -v mode="$mode" '
            /^MARK / { round = $2; label = $3; side = $4 }
            /^Time: / { printf "%s,%s,%s,%s,%s,%s\n", size, mode, round, label, side, $2 }
        ' "$out/run-$size-$mode.log" >>"$out/timings.csv"
    done
    run_psql -c "DROP TABLE $table"
done

# Median per query and the ratio of the medians
{
    echo "| rows | plan | pair | built-in ms | DP ms | ratio | target | met? |"
    echo "|---:|---|---|---:|---:|---:|---:|---|"
    for size in $sizes; do
        for mode in parallel serial; do
            for i in "${!labels[@]}"; do
                label=${labels[$i]}
                median() {
                    grep "^$size,$mode,[0-9]*,$label,$1," "$out/timings.csv" | cut -d, -f6 | sort -g |
                        awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
                }
                b=$(median builtin)
                d=$(median dp)
                awk -v size="$size" -v mode="$mode" -v label="$label" -v b="$b" -v d="$d" -v t="${targets[$i]}" \
                    'BEGIN { r = d / b; printf "| %d | %s | %s | %.1f | %.1f | %.3f | %s | %s |\n", size, mode, label, b, d, r, t, (r <= t ? "yes" : "no") }'
            done
        done
    done
} | tee "$out/table.md"

echo
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "took $(( $(date +%s) - started )) s; raw timings in $out/timings.csv"
