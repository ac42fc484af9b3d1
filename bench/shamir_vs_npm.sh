#!/usr/bin/env bash
# Time ciam_privacy's Shamir sharing against the npm package
# shamir-secret-sharing on the same machine: split and combine of 32-byte
# secrets with 5 shares and threshold 3, and integer shares per second.
# Run as root: it runs scripts/setup.sh (which builds the extension and
# installs the npm package), starts a fresh private cluster named
# "shamir_bench" (its old data, if any, is deleted) and stops it at the end.
#
# Method
#   PostgreSQL: tables of BENCH_ROWS 32-byte secrets, of their share sets
#   (3 of 5 shares), of integer values below 1e9, and of integer shares.
#   Each timed query runs over a whole table in one backend, without
#   parallel workers or JIT, and is timed inside the server by
#   clock_timestamp() around EXECUTE, so no result crosses the socket.
#   Operations per second are rows / seconds.
#   JavaScript: interop/shamir/bench.js calls split and combine of the npm
#   package one after another on one thread, after a warm-up of 5000 calls
#   of each, and prints operations per second.
#   A round runs the JavaScript timing, then every PostgreSQL query, so that
#   both sides see the same machine load. The ratio of a round is the
#   PostgreSQL rate divided by the JavaScript rate of that round. The
#   report gives the median over BENCH_REPS rounds of each rate and ratio.
#   A scan of the secrets with count() alone shows the cost per row that
#   the executor adds to every PostgreSQL figure.
#
# Settings (environment variables)
#   BENCH_PORT          port of the private cluster (default 56340)
#   BENCH_ROWS          rows of each PostgreSQL table (default 200000)
#   BENCH_REPS          rounds, at least 3 (default 7)
#   BENCH_JS_SPLITS     npm split calls per round (default 20000)
#   BENCH_JS_COMBINES   npm combine calls per round (default 200000)
#
# Output
#   The Markdown table on stdout. Raw rates (rates.csv), the machine and
#   the table are also written to tmp/bench/shamir_vs_npm-<date>-<time>/.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
port=${BENCH_PORT:-56340}
rows=${BENCH_ROWS:-200000}
reps=${BENCH_REPS:-7}
js_splits=${BENCH_JS_SPLITS:-20000}
js_combines=${BENCH_JS_COMBINES:-200000}
# Target: each byte operation at least this many times the npm package's rate
target=10

export LC_ALL=C

die() {
    echo "shamir_vs_npm.sh: $*" >&2
    exit 1
}

is_uint() {
    [[ $1 =~ ^[0-9]+$ ]]
}

[ "$(id -u)" -eq 0 ] || die "run as root (it runs scripts/setup.sh and starts a cluster as the postgres user)"
is_uint "$port" && [ "$port" -ge 1024 ] && [ "$port" -le 65535 ] || die "BENCH_PORT=$port is not a port number"
is_uint "$rows" && [ "$rows" -ge 1000 ] || die "BENCH_ROWS=$rows must be at least 1000"
is_uint "$reps" && [ "$reps" -ge 3 ] || die "BENCH_REPS=$reps must be at least 3"
is_uint "$js_splits" && [ "$js_splits" -ge 1 ] || die "BENCH_JS_SPLITS=$js_splits must be a positive integer"
is_uint "$js_combines" && [ "$js_combines" -ge 1 ] || die "BENCH_JS_COMBINES=$js_combines must be a positive integer"

started=$(date +%s)
bash "$root/scripts/setup.sh" >/dev/null
[ -d "$root/interop/shamir/node_modules/shamir-secret-sharing" ] ||
    die "the npm package shamir-secret-sharing is missing from interop/shamir; see the output of scripts/setup.sh"
# shellcheck source=scripts/cluster.sh
source "$root/scripts/cluster.sh"

# The extension is installed for all checkouts that share these binaries,
# so another one could replace the library during the run.
check_installed_library() {
    local installed
    installed="$("$CIAM_PGBIN/pg_config" --pkglibdir)/ciam_privacy.so"
    cmp -s "$root/ciam_privacy.so" "$installed" ||
        die "$installed is not the library built from $root; run the benchmark again"
}
check_installed_library

out="$root/tmp/bench/shamir_vs_npm-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$out"
cluster_start shamir_bench "$port"
trap 'cluster_stop shamir_bench' EXIT
export PGDATABASE=postgres

sql() {
    psql -X -q -At -v ON_ERROR_STOP=1 "$@"
}

echo "== setting up $rows rows per table"
sql >/dev/null <<SQL
CREATE EXTENSION ciam_privacy;
ALTER SYSTEM SET max_parallel_workers_per_gather = 0;
ALTER SYSTEM SET jit = off;
SELECT pg_reload_conf();
SET search_path = ciam_privacy, public;
CREATE TABLE bench_secret AS
    SELECT sha256(g::text::bytea) AS secret FROM generate_series(1, $rows) g;
CREATE TABLE bench_share_set AS
    SELECT (shamir_share(secret, 3, 5))[1:3] AS shares FROM bench_secret;
CREATE TABLE bench_value AS
    SELECT floor(random() * 1e9)::numeric AS value FROM generate_series(1, $rows);
CREATE TABLE bench_int_share AS
    SELECT (shamir_share_int(value, 3, 5))[1] AS share FROM bench_value;
CREATE TABLE bench_int_share_set AS
    SELECT (shamir_share_int(value, 3, 5))[1:3] AS shares FROM bench_value;
VACUUM ANALYZE;
CREATE FUNCTION bench_rate(query text, operations bigint) RETURNS float8
LANGUAGE plpgsql AS \$\$
DECLARE
    started timestamptz := clock_timestamp();
BEGIN
    EXECUTE query;
    RETURN operations / extract(epoch FROM clock_timestamp() - started);
END
\$\$;
SQL

# name|query; each query reads one whole table of $rows rows
queries=(
    "scan|SELECT count(secret) FROM bench_secret"
    "share|SELECT count(shamir_share(secret, 3, 5)) FROM bench_secret"
    "combine|SELECT count(shamir_combine(shares)) FROM bench_share_set"
    "int_share|SELECT count(shamir_share_int(value, 3, 5)) FROM bench_value"
    "int_sum|SELECT shamir_sum(share) FROM bench_int_share"
    "int_combine|SELECT count(shamir_combine_int(shares)) FROM bench_int_share_set"
)

# Warm the caches and the catalog lookups once, untimed
for entry in "${queries[@]}"; do
    sql -c "SET search_path = ciam_privacy, public" -c "${entry#*|}" >/dev/null
done

echo "round,operation,side,rate" >"$out/rates.csv"
for round in $(seq 1 "$reps"); do
    node "$root/interop/shamir/bench.js" "$js_splits" "$js_combines" 1 |
        while read -r operation rate; do
            echo "$round,$operation,npm,$rate"
        done >>"$out/rates.csv"
    for entry in "${queries[@]}"; do
        name=${entry%%|*}
        query=${entry#*|}
        rate=$(sql -c "SET search_path = ciam_privacy, public" \
                   -c "SELECT round(bench_rate(\$q\$$query\$q\$, $rows))")
        echo "$round,$name,postgres,$rate" >>"$out/rates.csv"
    done
    echo "round $round of $reps done"
done
check_installed_library

# Medians per operation and side, and of the per-round ratios
median() {
    sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
rate_of() {
    awk -F, -v op="$1" -v side="$2" '$2 == op && $3 == side { print $4 }' "$out/rates.csv" | median
}
{
    echo "| operation (32-byte secret, 5 shares, threshold 3) | ciam_privacy, per second | npm shamir-secret-sharing, per second | ratio (median of rounds) | target ${target}x met |"
    echo "|---|---:|---:|---:|---|"
    for operation in split combine; do
        pg_name=$operation
        [ "$operation" = split ] && pg_name=share
        pg_rate=$(rate_of "$pg_name" postgres)
        js_rate=$(rate_of "$operation" npm)
        # Pair the two sides round by round
        ratio=$(awk -F, -v pg="$pg_name" -v js="$operation" '
            $2 == pg && $3 == "postgres" { p[$1] = $4 }
            $2 == js && $3 == "npm" { j[$1] = $4 }
            END { for (r in p) if (r in j) print p[r] / j[r] }' "$out/rates.csv" | median)
        met=no
        awk -v r="$ratio" -v t="$target" 'BEGIN { exit !(r >= t) }' && met=yes
        printf '| %s | %.0f | %.0f | %.1f | %s |\n' "$operation" "$pg_rate" "$js_rate" "$ratio" "$met"
    done
    echo
    echo "| PostgreSQL query over $rows rows | rows per second (median) |"
    echo "|---|---:|"
    printf '| scan with count() alone (executor floor) | %.0f |\n' "$(rate_of scan postgres)"
    printf '| shamir_share_int(value, 3, 5): values shared | %.0f |\n' "$(rate_of int_share postgres)"
    printf '| the same, in integer shares made (5 per value) | %.0f |\n' \
        "$(awk -v r="$(rate_of int_share postgres)" 'BEGIN { print r * 5 }')"
    printf '| shamir_sum(share): shares added | %.0f |\n' "$(rate_of int_sum postgres)"
    printf '| shamir_combine_int of 3 shares | %.0f |\n' "$(rate_of int_combine postgres)"
} | tee "$out/table.md"

{
    echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) CPUs"
    echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "node: $(node --version); PostgreSQL: $("$CIAM_PGBIN/postgres" --version)"
    echo "rows: $rows, rounds: $reps, npm splits: $js_splits, npm combines: $js_combines per round"
    echo "run time: $(( $(date +%s) - started )) s"
} | tee "$out/machine.txt"
echo "raw rates: $out/rates.csv"
