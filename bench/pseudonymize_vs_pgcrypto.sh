#!/usr/bin/env bash
# Time ciam_privacy's pseudonymize() against pgcrypto's hmac() on the same
# values: emails (text), customer ids (bigint) and client addresses (inet).
# Both sides compute HMAC-SHA256 and return lower-case hexadecimal text.
# pgcrypto gets its key as a query argument (which is what pseudonymize()
# exists to avoid); pseudonymize() reads its key from ciam_privacy's wrapped
# key table. Run as root: it runs scripts/setup.sh, starts a fresh private
# cluster named "bench-pseudo" (its old data, if any, is deleted) and stops
# it at the end.
#
# Method
#   One psql session, serial plans (max_parallel_workers_per_gather = 0),
#   so the figures are per core. Each query is count(f(value)) over a table
#   of BENCH_ROWS rows, which evaluates f on every row and returns one row.
#   Every query first runs BENCH_WARMUP times untimed, then BENCH_REPS
#   rounds. A round runs the pgcrypto query directly followed by its
#   pseudonymize() counterpart, so both see the same machine load. Times
#   are psql's \timing (wall clock as the client sees it). A round also
#   times count(value) alone, the cost of reading the rows, which the
#   "per second" figures subtract. The table reports medians, the ratio of
#   the medians, and the median and quartiles of the per-round ratios
#   (pseudonymize time / pgcrypto time).
#   Before timing, the script checks that both sides give the same digests
#   for the bytea input, where pseudonymize() is plain HMAC-SHA256: the key
#   is imported from a file with import_key() and given to hmac() too.
#
# Settings (environment variables)
#   BENCH_PORT    port of the private cluster (default 55460)
#   BENCH_ROWS    rows per table (default 500000)
#   BENCH_REPS    timed rounds, at least 5 (default 11)
#   BENCH_WARMUP  untimed runs of each query first (default 2)
#
# Output
#   A log and a Markdown table on stdout; raw timings (timings.csv), the
#   table and machine details in tmp/bench/pseudonymize-<date>-<time>/.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
port=${BENCH_PORT:-55460}
rows=${BENCH_ROWS:-500000}
reps=${BENCH_REPS:-11}
warmup=${BENCH_WARMUP:-2}
export LC_ALL=C

die() {
    echo "pseudonymize_vs_pgcrypto.sh: $*" >&2
    exit 1
}

is_uint() {
    [[ $1 =~ ^[0-9]+$ ]]
}

[ "$(id -u)" -eq 0 ] || die "run as root (it runs scripts/setup.sh and starts a cluster as the postgres user)"
is_uint "$port" && [ "$port" -ge 1024 ] && [ "$port" -le 65535 ] ||
    die "BENCH_PORT=$port is invalid; use a port from 1024 to 65535"
is_uint "$rows" && [ "$rows" -ge 1000 ] || die "BENCH_ROWS=$rows is invalid; use at least 1000"
is_uint "$reps" && [ "$reps" -ge 5 ] || die "BENCH_REPS=$reps is invalid; use at least 5"
is_uint "$warmup" || die "BENCH_WARMUP=$warmup is invalid"

out="$root/tmp/bench/pseudonymize-$(date -u +%Y%m%d-%H%M%S)"
mkdir -p "$out"
echo "== setup"
bash "$root/scripts/setup.sh"

# shellcheck source=scripts/cluster.sh
source "$root/scripts/cluster.sh"
cluster_start bench-pseudo "$port"
trap 'cluster_stop bench-pseudo' EXIT
export PGDATABASE=postgres
key_dir=$(cluster_dir bench-pseudo)

{
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
    echo "cores: $(nproc)"
    echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "postgres: $("$CIAM_PGBIN/postgres" --version)"
    echo "openssl: $(openssl version 2>/dev/null || echo unknown)"
    echo "rows: $rows, rounds: $reps, warm-up runs: $warmup"
} | tee "$out/machine.txt"

# One key for both sides: imported into ciam_privacy from a file and given
# to pgcrypto's hmac(bytea, bytea) as a bytea argument. The text and inet
# rounds call hmac(text, text) with a 32-character text key: another key
# of the same size, so the work per value is the same.
key_hex=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
printf '%s\n' "$key_hex" | runuser -u postgres -- sh -c "umask 077 && cat >'$key_dir/bench.key'"

echo "== data"
psql -X -q -v ON_ERROR_STOP=1 <<SQL
CREATE EXTENSION ciam_privacy;
CREATE EXTENSION pgcrypto;
SET client_min_messages = warning;
SELECT ciam_privacy.import_key('bench', '$key_dir/bench.key') \g /dev/null
CREATE TABLE bench_values AS
SELECT g::bigint AS id,
       'customer' || g || '@example.com' AS email,
       ('10.0.0.0'::inet + g) AS address
FROM generate_series(1, $rows) AS g;
VACUUM ANALYZE bench_values;
SQL
runuser -u postgres -- rm -f "$key_dir/bench.key"

# The same digests on both sides, where pseudonymize() is plain HMAC
same=$(psql -X -At -v ON_ERROR_STOP=1 -c "
    SELECT count(*) FILTER (WHERE 'v1:' || encode(hmac(convert_to(email, 'UTF8'), '\\x$key_hex'::bytea, 'sha256'), 'hex')
                                  = ciam_privacy.pseudonymize(convert_to(email, 'UTF8'), 'bench'))
    FROM bench_values WHERE id <= 1000")
[ "$same" = 1000 ] || die "pseudonymize(bytea) and pgcrypto's hmac() disagree on $((1000 - same)) of 1000 values"
echo "pseudonymize(bytea) equals pgcrypto's hmac() on 1000 of 1000 values"

# name|baseline query|pgcrypto query|pseudonymize query
pairs=(
    "text (email)|SELECT count(email) FROM bench_values|SELECT count(encode(hmac(email, :'key_text', 'sha256'), 'hex')) FROM bench_values|SELECT count(ciam_privacy.pseudonymize(email, 'bench')) FROM bench_values"
    "bigint (id)|SELECT count(id) FROM bench_values|SELECT count(encode(hmac(int8send(id), :'key_bytea'::bytea, 'sha256'), 'hex')) FROM bench_values|SELECT count(ciam_privacy.pseudonymize(id, 'bench')) FROM bench_values"
    "inet (address)|SELECT count(address) FROM bench_values|SELECT count(encode(hmac(host(address), :'key_text', 'sha256'), 'hex')) FROM bench_values|SELECT count(ciam_privacy.pseudonymize(address, 'bench')) FROM bench_values"
)

# The script psql runs: warm-up, then rounds of baseline, pgcrypto,
# pseudonymize, each timed line preceded by a marker row.
{
    echo "\\set key_bytea '\\\\x$key_hex'"
    # pgcrypto's text variant takes the key as text; any 32 characters do
    echo "\\set key_text '${key_hex:0:32}'"
    echo "SET max_parallel_workers_per_gather = 0;"
    echo "SET jit = off;"
    for pair in "${pairs[@]}"; do
        IFS='|' read -r _ baseline pgcrypto ours <<<"$pair"
        for ((i = 0; i < warmup; i++)); do
            printf '%s \\g /dev/null\n' "$baseline" "$pgcrypto" "$ours"
        done
    done
    echo "\\timing on"
    for ((round = 1; round <= reps; round++)); do
        for pair in "${pairs[@]}"; do
            IFS='|' read -r name baseline pgcrypto ours <<<"$pair"
            for side in baseline pgcrypto pseudonymize; do
                case $side in
                    baseline) query=$baseline ;;
                    pgcrypto) query=$pgcrypto ;;
                    pseudonymize) query=$ours ;;
                esac
                echo "\\echo MARK|$round|$name|$side"
                printf '%s \\g /dev/null\n' "$query"
            done
        done
    done
} >"$out/queries.sql"

echo "== timing ($reps rounds)"
psql -X -q -v ON_ERROR_STOP=1 -f "$out/queries.sql" >"$out/psql.log" 2>&1 ||
    { cat "$out/psql.log"; die "a query failed"; }

# timings.csv: round,input,side,milliseconds
awk '/^MARK\|/ { split($0, f, "|"); round = f[2]; name = f[3]; side = f[4]; next }
     /^Time: / { printf "%s,%s,%s,%s\n", round, name, side, $2 }' \
    "$out/psql.log" >"$out/timings.csv"
expected_lines=$((reps * ${#pairs[@]} * 3))
[ "$(wc -l <"$out/timings.csv")" -eq "$expected_lines" ] ||
    die "expected $expected_lines timings in $out/timings.csv"

# Median of the numbers on stdin
median() {
    sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
# Quartile q (0.25, 0.5, 0.75) of the numbers on stdin, by linear interpolation
quartile() {
    sort -g | awk -v q="$1" '{ v[NR] = $1 } END { p = 1 + (NR - 1) * q; i = int(p); f = p - i;
        if (i >= NR) print v[NR]; else print v[i] + f * (v[i + 1] - v[i]) }'
}

{
    echo "| input | rows | read only (ms) | pgcrypto hmac() (ms) | pseudonymize() (ms) | pgcrypto pseudonyms/s | pseudonymize pseudonyms/s | time ratio of medians | per-round ratio, median [quartiles] |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---|"
    for pair in "${pairs[@]}"; do
        IFS='|' read -r name _ _ _ <<<"$pair"
        base=$(awk -F, -v n="$name" '$2 == n && $3 == "baseline" { print $4 }' "$out/timings.csv" | median)
        theirs=$(awk -F, -v n="$name" '$2 == n && $3 == "pgcrypto" { print $4 }' "$out/timings.csv" | median)
        ours=$(awk -F, -v n="$name" '$2 == n && $3 == "pseudonymize" { print $4 }' "$out/timings.csv" | median)
        ratios=$(awk -F, -v n="$name" '$2 == n { t[$1 "," $3] = $4; r[$1] = 1 }
            END { for (k in r) print t[k ",pseudonymize"] / t[k ",pgcrypto"] }' "$out/timings.csv")
        q1=$(quartile 0.25 <<<"$ratios")
        q2=$(quartile 0.5 <<<"$ratios")
        q3=$(quartile 0.75 <<<"$ratios")
        awk -v name="$name" -v rows="$rows" -v base="$base" -v theirs="$theirs" -v ours="$ours" \
            -v q1="$q1" -v q2="$q2" -v q3="$q3" 'BEGIN {
            rate_theirs = (theirs > base) ? sprintf("%.0f", rows / ((theirs - base) / 1000)) : "n/a";
            rate_ours = (ours > base) ? sprintf("%.0f", rows / ((ours - base) / 1000)) : "n/a";
            printf "| %s | %d | %.1f | %.1f | %.1f | %s | %s | %.2f | %.2f [%.2f, %.2f] |\n",
                   name, rows, base, theirs, ours, rate_theirs, rate_ours, ours / theirs, q2, q1, q3 }'
    done
} | tee "$out/table.md"

echo
echo "A ratio below 1.00 means pseudonymize() is faster than pgcrypto's hmac()."
echo "Files: $out"
