#!/usr/bin/env bash
# Time ciam_privacy's Paillier functions at a 2048-bit modulus against the
# targets, and against the npm package paillier-bigint on the same machine.
# Run as root: it runs scripts/setup.sh (which installs paillier-bigint with
# npm ci), starts a fresh private cluster named "paillier-bench" (its old
# data, if any, is deleted) and stops it at the end. Takes about 2 minutes.
#
# What is measured, each BENCH_REPS times, the median reported
#   add step   SELECT paillier_add(c) over BENCH_ROWS rows, serial plan
#              (max_parallel_workers_per_gather = 0), minus the time of
#              SELECT count(c) over the same rows (scan and detoasting),
#              divided by the rows. The rows repeat 64 distinct
#              ciphertexts, which changes nothing for a product modulo
#              n^2. The full sum time is reported too, and the same sum
#              with a parallel plan (2 workers).
#   encryption paillier_encrypt(bigint) of BENCH_ENCRYPTIONS values, after
#              one warm-up call that builds the fixed-base table.
#   decryption paillier_decrypt() of BENCH_DECRYPTIONS ciphertexts, as a
#              role granted the key (the superuser running the bench).
#   JavaScript interop/paillier/paillier_tool.js bench: paillier-bigint's
#              encrypt, addition and decrypt (CRT) on BENCH_JS_COUNT values,
#              with a key of its default kind (random g) and one with
#              g = n + 1. One Node.js process, one core.
# Times are measured inside the server around EXECUTE, so client round
# trips are excluded. Wall-clock time comes from clock_timestamp(), and the
# CPU time of the backend from /proc/self/stat, in clock ticks of
# 1 / CLK_TCK seconds (10 ms on the machine measured).
# On a shared machine the wall-clock times grow with the load, CPU times
# much less, so the targets, stated for one core, are judged on CPU time.
# The log records the load average before and after. The JavaScript side
# reports wall-clock time only.
#
# Settings (environment variables)
#   BENCH_PORT          port of the private cluster (default 55460)
#   BENCH_ROWS          rows of the sum (default 1000000)
#   BENCH_REPS          timed runs of each measurement (default 3)
#   BENCH_ENCRYPTIONS   encryptions per run (default 2000)
#   BENCH_DECRYPTIONS   decryptions per run (default 300)
#   BENCH_JS_COUNT      values for the JavaScript side (default 60)
#
# Output: a log and a Markdown table on stdout; both, with the machine
# details, also in tmp/bench/paillier-<date>-<time>/.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
port=${BENCH_PORT:-55460}
rows=${BENCH_ROWS:-1000000}
reps=${BENCH_REPS:-3}
encryptions=${BENCH_ENCRYPTIONS:-2000}
decryptions=${BENCH_DECRYPTIONS:-300}
js_count=${BENCH_JS_COUNT:-60}

clock_ticks=$(getconf CLK_TCK)

die() {
    echo "paillier_vs_js.sh: $*" >&2
    exit 1
}

[ "$(id -u)" -eq 0 ] || die "run as root (it runs scripts/setup.sh and starts a cluster as the postgres user)"
[ "$reps" -ge 1 ] || die "BENCH_REPS must be at least 1"

out="$root/tmp/bench/paillier-$(date -u +%Y%m%d-%H%M%S)"
mkdir -p "$out"
exec > >(tee "$out/log.txt") 2>&1

bash "$root/scripts/setup.sh" >/dev/null
# shellcheck source=scripts/cluster.sh
source "$root/scripts/cluster.sh"
cluster_start paillier-bench "$port"
trap 'cluster_stop paillier-bench' EXIT
export PGDATABASE=postgres

{
    echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "commit: $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)"
    echo "cpu: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) CPUs online"
    echo "postgresql: $(psql -X -A -t -c 'SHOW server_version')"
    echo "gmp: $(sed -n 's/^#define __GNU_MP_VERSION\(_MINOR\|_PATCHLEVEL\)\? *//p' /usr/include/x86_64-linux-gnu/gmp.h 2>/dev/null | paste -sd.)"
    echo "node: $(node --version), paillier-bigint $(node -p 'require("'"$root"'/interop/paillier/node_modules/paillier-bigint/package.json").version')"
    echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$out/machine.txt"

sql() {
    psql -X -q -A -t -v ON_ERROR_STOP=1 "$@"
}

echo "== setup: key, $rows rows"
sql <<SQL
CREATE EXTENSION ciam_privacy;
SELECT ciam_privacy.paillier_generate_key('bench', 2048) \\g /dev/null
CREATE TABLE bench_base AS
    SELECT g AS id, ciam_privacy.paillier_encrypt((g * 7919 % 2001 - 1000)::bigint, 'bench') AS c
    FROM generate_series(1, 64) g;
CREATE TABLE bench_rows AS
    SELECT b.c FROM generate_series(1, $rows) s JOIN bench_base b ON b.id = s % 64 + 1;
CREATE TABLE bench_decrypt AS SELECT c FROM bench_rows LIMIT $decryptions;
VACUUM ANALYZE bench_rows;
-- CPU seconds of this backend so far: utime + stime of /proc/self/stat,
-- the 14th and 15th fields, counted after the parenthesized command name.
CREATE FUNCTION bench_cpu_seconds() RETURNS float8
LANGUAGE sql AS \$\$
    SELECT (f[12]::bigint + f[13]::bigint)::float8 / $clock_ticks
    FROM (SELECT string_to_array(split_part(pg_read_file('/proc/self/stat'), ') ', 2), ' ') AS f) AS s
\$\$;
CREATE FUNCTION bench_seconds(query text, OUT wall float8, OUT cpu float8)
LANGUAGE plpgsql AS \$\$
DECLARE
    started timestamptz := clock_timestamp();
    cpu_started float8 := bench_cpu_seconds();
BEGIN
    EXECUTE query;
    wall := extract(epoch FROM clock_timestamp() - started);
    cpu := bench_cpu_seconds() - cpu_started;
END;
\$\$;
SQL

# Print the median of the numbers on standard input.
median() {
    sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# Time a query BENCH_REPS times in one session with the given settings.
# Print the median wall-clock seconds and the median CPU seconds of the
# backend, which exclude the workers of a parallel plan.
time_query() {
    local settings=$1 query=$2 runs
    runs=$(sql -F ' ' <<SQL
$settings
SELECT t.wall, t.cpu FROM generate_series(1, $reps), LATERAL bench_seconds(\$q\$$query\$q\$) AS t;
SQL
)
    echo "$(cut -d' ' -f1 <<<"$runs" | median) $(cut -d' ' -f2 <<<"$runs" | median)"
}

serial="SET max_parallel_workers_per_gather = 0;"
parallel="SET max_parallel_workers_per_gather = 2; SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0;"

echo "== sum of $rows rows"
read -r scan scan_cpu <<<"$(time_query "$serial" "SELECT count(c) FROM bench_rows")"
read -r sum_serial sum_cpu <<<"$(time_query "$serial" "SELECT ciam_privacy.paillier_add(c) FROM bench_rows")"
read -r sum_parallel _ <<<"$(time_query "$parallel" "SELECT ciam_privacy.paillier_add(c) FROM bench_rows")"
echo "count(c): $scan s (cpu $scan_cpu s); paillier_add serial: $sum_serial s (cpu $sum_cpu s); parallel: $sum_parallel s"

echo "== $encryptions encryptions"
read -r encrypt encrypt_cpu <<<"$(time_query "$serial SELECT ciam_privacy.paillier_encrypt(1::bigint, 'bench') \\g /dev/null" \
    "SELECT count(ciam_privacy.paillier_encrypt(g::bigint, 'bench')) FROM generate_series(1, $encryptions) g")"
echo "encryption: $encrypt s (cpu $encrypt_cpu s)"

echo "== $decryptions decryptions"
read -r decrypt decrypt_cpu <<<"$(time_query "$serial" "SELECT count(ciam_privacy.paillier_decrypt(c, 'bench')) FROM bench_decrypt")"
echo "decryption: $decrypt s (cpu $decrypt_cpu s)"

echo "== paillier-bigint, $js_count values"
(cd "$root/interop/paillier" &&
    node paillier_tool.js keygen 2048 random >"$out/js_random_key.json" &&
    node paillier_tool.js keygen 2048 simple >"$out/js_simple_key.json" &&
    node paillier_tool.js bench "$out/js_random_key.json" "$js_count" >"$out/js_random.json" &&
    node paillier_tool.js bench "$out/js_simple_key.json" "$js_count" >"$out/js_simple.json")
rm -f "$out"/js_*_key.json
js_field() {
    node -p "JSON.parse(require('fs').readFileSync('$1')).$2"
}
echo "random g: $(cat "$out/js_random.json")"
echo "g = n + 1: $(cat "$out/js_simple.json")"
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out/machine.txt"

awk -v rows="$rows" -v scan="$scan" -v scan_cpu="$scan_cpu" -v serial="$sum_serial" -v serial_cpu="$sum_cpu" \
    -v parallel_seconds="$sum_parallel" \
    -v enc="$encrypt" -v enc_cpu="$encrypt_cpu" -v encn="$encryptions" \
    -v dec="$decrypt" -v dec_cpu="$decrypt_cpu" -v decn="$decryptions" \
    -v jsr_add="$(js_field "$out/js_random.json" add_microseconds)" \
    -v jss_add="$(js_field "$out/js_simple.json" add_microseconds)" \
    -v jsr_enc="$(js_field "$out/js_random.json" encrypt_per_second)" \
    -v jss_enc="$(js_field "$out/js_simple.json" encrypt_per_second)" \
    -v jsr_dec="$(js_field "$out/js_random.json" decrypt_per_second)" \
    -v jss_dec="$(js_field "$out/js_simple.json" decrypt_per_second)" 'BEGIN {
    step = (serial - scan) / rows * 1e6
    step_cpu = (serial_cpu - scan_cpu) / rows * 1e6
    enc_rate = encn / enc
    enc_rate_cpu = encn / enc_cpu
    dec_rate = decn / dec
    dec_rate_cpu = decn / dec_cpu
    printf "\n| measure (2048-bit n) | wall clock | CPU time | target | met on CPU time? | paillier-bigint, random g | paillier-bigint, g = n + 1 |\n"
    printf "|---|---:|---:|---:|---|---:|---:|\n"
    printf "| add step, serial (us) | %.2f | %.2f | <= 7 | %s | %.2f | %.2f |\n", step, step_cpu, (step_cpu <= 7 ? "yes" : "no"), jsr_add, jss_add
    printf "| sum of %d rows, serial (s) | %.2f | %.2f | < 7 | %s | | |\n", rows, serial, serial_cpu, ((serial_cpu < 7 || rows != 1000000) ? "yes" : "no")
    printf "| sum of %d rows, 2 workers (s) | %.2f | | | | | |\n", rows, parallel_seconds
    printf "| scan only, count(c) (s) | %.2f | %.2f | | | | |\n", scan, scan_cpu
    printf "| encryptions per second | %.0f | %.0f | >= 700 | %s | %.1f | %.1f |\n", enc_rate, enc_rate_cpu, (enc_rate_cpu >= 700 ? "yes" : "no"), jsr_enc, jss_enc
    printf "| decryptions per second | %.0f | %.0f | >= 300 | %s | %.1f | %.1f |\n", dec_rate, dec_rate_cpu, (dec_rate_cpu >= 300 ? "yes" : "no"), jsr_dec, jss_dec
    printf "\nratios on wall-clock times, ciam_privacy / paillier-bigint (random g): add step %.1fx faster, encryption %.0fx, decryption %.1fx\n",
        jsr_add / step, enc_rate / jsr_enc, dec_rate / jsr_dec
}' | tee "$out/table.md"
echo "results in $out"
