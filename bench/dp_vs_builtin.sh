#!/usr/bin/env bash
# Time ciam_privacy's dp_count and dp_avg against the built-in count() and
# avg() on tables of 1M and 10M rows, with parallel and with serial plans.
# Run as root: it runs scripts/setup.sh, then starts a fresh private cluster
# named "bench" (its old data, if any, is deleted) and stops it at the end.
#
# Method
#   One psql session per table size and plan mode. Each session first runs
#   every query BENCH_WARMUP times untimed, then BENCH_REPS rounds. A round
#   runs each built-in query directly followed by its DP counterpart
#   (A B A B ...), so both sides of a pair see the same machine load. Times
#   come from psql's \timing: wall-clock time of each statement as the client
#   sees it, over the Unix socket. The table reports the median of each
#   query, the ratio of the medians, and the median and quartiles of the
#   per-round ratios (DP time / built-in time within one round).
#   The parallel mode keeps the cluster's settings (scripts/cluster.sh sets
#   max_parallel_workers_per_gather = 2); the serial mode sets it to 0.
#   Before timing, EXPLAIN ANALYZE of every query checks the plan shape: a
#   Partial Aggregate below a Gather with launched workers in parallel mode,
#   no Gather in serial mode. The script stops if a plan does not match.
#
#   Wall-clock times on a shared machine can vary by 10 % or more from run
#   to run, so the script also counts instructions, which do not depend on
#   the load. After the timing it stops the cluster and runs each query once
#   more, serially and without JIT, on the smallest table in a single-user
#   backend under valgrind's callgrind. Counting runs from PortalStart (so
#   it includes the ExecutorStart hook that charges the budget) to the end
#   of PortalRun. The log lists the extension's costliest functions, and the
#   callgrind output files contain the whole profile.
#
# Settings (environment variables)
#   BENCH_PORT    port of the private cluster, 55450 to 55459 (default 55450)
#   BENCH_REPS    timed runs of each query, at least 7 (default 21)
#   BENCH_WARMUP  untimed runs of each query before the timed ones (default 2)
#   BENCH_SIZES   table sizes in rows, separated by spaces
#                 (default "1000000 10000000")
#   BENCH_CALLGRIND  1 to count instructions with valgrind (the default), 0 to
#                 skip that step
#
# Output
#   A log and the final Markdown table on stdout. Raw timings (timings.csv),
#   plans (plans-*.txt), machine details, callgrind files (callgrind/) and
#   the tables are also written to tmp/bench/dp_vs_builtin-<date>-<time>/.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
port=${BENCH_PORT:-55450}
reps=${BENCH_REPS:-21}
warmup=${BENCH_WARMUP:-2}
sizes=${BENCH_SIZES:-"1000000 10000000"}
callgrind=${BENCH_CALLGRIND:-1}

# Every DP query charges its epsilon (1.0 here) to the role, and spending is
# permanent, so the budget is set to the maximum that set_budget() accepts.
# A full run with the defaults spends 288: 2 sizes * 2 plan modes * 3 DP
# queries * (2 warm-up + 21 timed runs + 1 EXPLAIN ANALYZE).
budget=1000000

# The timing target ratios at 10M rows, as DP median / built-in median.
target_count=1.15
target_avg=1.30

export LC_ALL=C

die() {
    echo "dp_vs_builtin.sh: $*" >&2
    exit 1
}

is_uint() {
    [[ $1 =~ ^[0-9]+$ ]]
}

if [ "$(id -u)" -ne 0 ]; then
    die "run as root (it runs scripts/setup.sh and starts a cluster as the postgres user)"
fi
if ! is_uint "$port" || [ "$port" -lt 55450 ] || [ "$port" -gt 55459 ]; then
    die "BENCH_PORT=$port is invalid; use a port from 55450 to 55459"
fi
if ! is_uint "$reps" || [ "$reps" -lt 7 ]; then
    die "BENCH_REPS=$reps is invalid; use 7 or more timed runs"
fi
if ! is_uint "$warmup" || [ "$warmup" -lt 1 ]; then
    die "BENCH_WARMUP=$warmup is invalid; use 1 or more warm-up runs"
fi
for size in $sizes; do
    if ! is_uint "$size" || [ "$size" -lt 1 ]; then
        die "BENCH_SIZES contains '$size'; sizes must be positive row counts"
    fi
done
if [ -z "${sizes// /}" ]; then
    die "BENCH_SIZES is empty; give at least one row count"
fi
case $callgrind in
    0) ;;
    1)
        if ! command -v valgrind >/dev/null || ! command -v callgrind_annotate >/dev/null; then
            die "valgrind not found; install the valgrind package or set BENCH_CALLGRIND=0"
        fi
        ;;
    *) die "BENCH_CALLGRIND=$callgrind is invalid; use 1 or 0" ;;
esac

out="$root/tmp/bench/dp_vs_builtin-$(date +%Y%m%d-%H%M%S)"
mkdir -p "$out"
started=$(date +%s)

# The query pairs: a label, the built-in query and its DP counterpart. TABLE
# is replaced by the table's name. The constant 1.0 is epsilon.
pair_labels=(count_star count_column avg)
builtin_queries=(
    "SELECT count(*) FROM TABLE"
    "SELECT count(income) FROM TABLE"
    "SELECT avg(age) FROM TABLE"
)
dp_queries=(
    "SELECT ciam_privacy.dp_count(1.0) FROM TABLE"
    "SELECT ciam_privacy.dp_count(income, 1.0) FROM TABLE"
    "SELECT ciam_privacy.dp_avg(age, 0, 100, 1.0) FROM TABLE"
)

run_psql() {
    psql -X -q -v ON_ERROR_STOP=1 -d postgres "$@"
}

# Print the command that selects a plan mode. RESET returns to the value in
# postgresql.conf.
mode_setting() {
    case $1 in
        parallel) echo "RESET max_parallel_workers_per_gather;" ;;
        serial) echo "SET max_parallel_workers_per_gather = 0;" ;;
    esac
}

# The extension is installed system-wide, so another checkout on this
# machine can replace the library at any time. Stop unless the installed
# library is the one setup.sh built from this checkout.
check_installed_library() {
    local installed
    installed="$("$CIAM_PGBIN/pg_config" --pkglibdir)/ciam_privacy.so"
    if ! cmp -s "$root/ciam_privacy.so" "$installed"; then
        die "$installed is not the library built from $root;" \
            "another checkout may have installed its own. Run the benchmark again."
    fi
}

record_machine() {
    {
        echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
        echo "commit: $(git -C "$root" rev-parse --short HEAD)$(
            git -C "$root" diff --quiet HEAD -- src sql Makefile || echo ' with local changes to src, sql or Makefile')"
        echo "cpu: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) CPUs online"
        echo "memory: $(free -m | awk '/^Mem:/ {print $2}') MiB"
        echo "debian: $(cat /etc/debian_version)"
        echo "kernel: $(uname -r)"
        echo "postgresql: $(run_psql -At -c 'SELECT version()')"
        run_psql -At -F ' = ' -c "SELECT name, current_setting(name) FROM pg_settings
            WHERE name IN ('shared_buffers', 'work_mem', 'max_parallel_workers_per_gather',
                           'max_parallel_workers', 'max_worker_processes', 'jit',
                           'jit_above_cost', 'synchronous_commit')
            ORDER BY name"
        echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
    } >"$out/machine.txt"
    cat "$out/machine.txt"
}

# Create people_<rows>: id, age in years (normal around 42, clamped to
# [18, 95], one decimal) and income (log-normal around 40,000, null for about
# a quarter of the rows). The seed makes the data the same in every run.
create_table() {
    local rows=$1 table=people_$1
    echo "creating $table ($rows rows)"
    run_psql >/dev/null <<SQL
SELECT setseed(0.42);
CREATE TABLE $table (id bigint, age float8, income float8);
INSERT INTO $table
SELECT g,
       round(least(95, greatest(18,
           42 + 14 * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random())))::numeric, 1)::float8,
       CASE WHEN random() < 0.25 THEN NULL
            ELSE round(exp(10.6 + 0.6 * sqrt(-2 * ln(1 - random()))
                               * cos(2 * pi() * random()))::numeric, 2)::float8
       END
FROM generate_series(1, $rows) AS g;
VACUUM ANALYZE $table;
SQL
    run_psql -At -F ' ' -c "SELECT '$table:', pg_size_pretty(pg_relation_size('$table')),
        count(*) AS rows, count(income) AS incomes FROM $table"
}

# Run EXPLAIN ANALYZE on every query of a table in a plan mode, save the
# plans, and stop unless each has the shape the mode promises.
check_plans() {
    local table=$1 mode=$2
    local file="$out/plans-$table-$mode.txt"
    local query plan i
    : >"$file"
    for i in "${!pair_labels[@]}"; do
        for query in "${builtin_queries[i]//TABLE/$table}" "${dp_queries[i]//TABLE/$table}"; do
            plan=$(run_psql -c "$(mode_setting "$mode")" \
                -c "EXPLAIN (ANALYZE, TIMING OFF, SUMMARY OFF) $query")
            printf '%s\n%s\n\n' "$query" "$plan" >>"$file"
            if [ "$mode" = parallel ]; then
                if ! grep -q 'Partial Aggregate' <<<"$plan" ||
                    ! grep -Eq 'Workers Launched: [1-9]' <<<"$plan"; then
                    die "the parallel plan of '$query' has no Partial Aggregate" \
                        "with launched workers; see $file"
                fi
            elif grep -q 'Gather' <<<"$plan"; then
                die "the serial plan of '$query' has a Gather node; see $file"
            fi
        done
    done
    echo "plans of $table, $mode mode ($file):"
    sed 's/^/    /' "$file"
}

# Write the psql script of one timing session: warm-up runs, then the
# interleaved timed rounds. Each timed query is preceded by a line
# "@ <pair> <builtin|dp> <round>" that parse_timings() reads.
write_session() {
    local table=$1 mode=$2
    local i round
    mode_setting "$mode"
    echo '\o /dev/null'
    for ((round = 1; round <= warmup; round++)); do
        for i in "${!pair_labels[@]}"; do
            echo "${builtin_queries[i]//TABLE/$table};"
            echo "${dp_queries[i]//TABLE/$table};"
        done
    done
    printf '%s\n' '\timing on'
    for ((round = 1; round <= reps; round++)); do
        for i in "${!pair_labels[@]}"; do
            printf '\\echo @ %s builtin %d\n' "${pair_labels[i]}" "$round"
            echo "${builtin_queries[i]//TABLE/$table};"
            printf '\\echo @ %s dp %d\n' "${pair_labels[i]}" "$round"
            echo "${dp_queries[i]//TABLE/$table};"
        done
    done
}

# Turn the session output into CSV rows: rows,mode,pair,side,round,ms.
parse_timings() {
    local rows=$1 mode=$2
    awk -v rows="$rows" -v mode="$mode" '
        /^@ / { pair = $2; side = $3; round = $4; next }
        /^Time: / { print rows "," mode "," pair "," side "," round "," $2 }
    '
}

time_queries() {
    local rows=$1 mode=$2 table=people_$1
    local session="$out/session-$table-$mode.sql"
    local output="$out/session-$table-$mode.out"
    write_session "$table" "$mode" >"$session"
    echo "timing $table, $mode mode: $warmup warm-up and $reps timed runs of each query"
    run_psql -f "$session" >"$output"
    parse_timings "$rows" "$mode" <"$output" >>"$out/timings.csv"
    local count
    count=$(grep -c "^$rows,$mode," "$out/timings.csv")
    if [ "$count" -ne $((reps * 2 * ${#pair_labels[@]})) ]; then
        die "expected $((reps * 2 * ${#pair_labels[@]})) timings of $table in $mode mode," \
            "found $count; see $output"
    fi
}

# Print the q-quantile (0 to 1) of the numbers on stdin, interpolating
# linearly between the two nearest ranks.
quantile() {
    sort -g | awk -v q="$1" '{ v[NR] = $1 }
        END {
            position = 1 + (NR - 1) * q
            low = int(position)
            high = (low < NR) ? low + 1 : low
            print v[low] + (position - low) * (v[high] - v[low])
        }'
}

median() {
    quantile 0.5
}

# Print the timings (ms) of one side of one pair.
select_timings() {
    awk -F, -v rows="$1" -v mode="$2" -v pair="$3" -v side="$4" \
        '$1 == rows && $2 == mode && $3 == pair && $4 == side { print $6 }' \
        "$out/timings.csv"
}

# Print the DP / built-in ratio of each round of one pair.
paired_ratios() {
    awk -F, -v rows="$1" -v mode="$2" -v pair="$3" '
        $1 == rows && $2 == mode && $3 == pair && $4 == "builtin" { builtin[$5] = $6 }
        $1 == rows && $2 == mode && $3 == pair && $4 == "dp" { dp[$5] = $6 }
        END { for (round in dp) print dp[round] / builtin[round] }
    ' "$out/timings.csv"
}

# Print a query without "SELECT " and " FROM TABLE".
aggregate_of() {
    local query=${1#SELECT }
    echo "${query% FROM TABLE}"
}

print_table() {
    local rows mode i pair builtin_ms dp_ms ratio paired paired_low paired_high
    echo "| rows | plan | built-in query | median ms | DP query | median ms | ratio of medians | per-round ratios: median (quartiles) |"
    echo "|---:|---|---|---:|---|---:|---:|---:|"
    for rows in $sizes; do
        for mode in parallel serial; do
            for i in "${!pair_labels[@]}"; do
                pair=${pair_labels[i]}
                builtin_ms=$(select_timings "$rows" "$mode" "$pair" builtin | median)
                dp_ms=$(select_timings "$rows" "$mode" "$pair" dp | median)
                ratio=$(awk -v a="$builtin_ms" -v b="$dp_ms" 'BEGIN { printf "%.3f", b / a }')
                paired=$(paired_ratios "$rows" "$mode" "$pair" | median)
                paired_low=$(paired_ratios "$rows" "$mode" "$pair" | quantile 0.25)
                paired_high=$(paired_ratios "$rows" "$mode" "$pair" | quantile 0.75)
                # shellcheck disable=SC2016 # the backticks are Markdown code spans
                printf '| %s | %s | `%s` | %.1f | `%s` | %.1f | %s | %.3f (%.3f to %.3f) |\n' \
                    "$rows" "$mode" "$(aggregate_of "${builtin_queries[i]}")" "$builtin_ms" \
                    "$(aggregate_of "${dp_queries[i]}")" "$dp_ms" "$ratio" \
                    "$paired" "$paired_low" "$paired_high"
            done
        done
    done
}

# Print whether each 10M-row target ratio was met, in each plan mode.
print_targets() {
    local rows=10000000 mode pair target builtin_ms dp_ms verdict
    if ! grep -q "^$rows," "$out/timings.csv"; then
        echo "targets: not checked, because BENCH_SIZES has no 10000000-row table"
        return
    fi
    for mode in parallel serial; do
        for pair in count_star count_column avg; do
            target=$target_count
            [ "$pair" = avg ] && target=$target_avg
            builtin_ms=$(select_timings "$rows" "$mode" "$pair" builtin | median)
            dp_ms=$(select_timings "$rows" "$mode" "$pair" dp | median)
            verdict=$(awk -v a="$builtin_ms" -v b="$dp_ms" -v t="$target" \
                'BEGIN { printf "%.3f (target %.2f): %s", b / a, t, (b / a <= t) ? "met" : "MISSED" }')
            echo "target at $rows rows, $mode, $pair: ratio $verdict"
        done
    done
}

# Count the instructions of one query in a single-user backend under
# callgrind and print the count. The cluster must be stopped.
count_instructions() {
    local label=$1 query=$2
    local dir="$out/callgrind"
    echo "$query;" | as_postgres valgrind --tool=callgrind \
        --callgrind-out-file="$dir/$label.out" \
        --toggle-collect=PortalStart --toggle-collect=PortalRun \
        "$CIAM_PGBIN/postgres" --single -D "$(cluster_dir bench)/data" \
        -c jit=off -c max_parallel_workers_per_gather=0 postgres \
        >"$dir/$label.stdout" 2>"$dir/$label.log"
    if grep -q 'ERROR' "$dir/$label.log" || ! grep -q 'Collected' "$dir/$label.log"; then
        die "callgrind run of '$query' failed; see $dir/$label.log"
    fi
    sed -n 's/.*Collected : *//p' "$dir/$label.log"
}

# Count the instructions of every query on the smallest table, then print a
# table of instructions per row and the extension's costliest functions.
print_instruction_counts() {
    local rows table i query builtin_count dp_count fixed_builtin fixed_dp
    rows=$(tr -s ' ' '\n' <<<"$sizes" | grep . | sort -n | head -n 1)
    table=people_$rows
    install -d -o postgres "$out/callgrind"

    echo "Counter: callgrind instructions of one serial run without JIT, per row of the"
    echo "$rows-row table, from PortalStart to the end of PortalRun."
    echo
    echo "| built-in query | instructions per row | DP query | instructions per row | DP / built-in |"
    echo "|---|---:|---|---:|---:|"
    for i in "${!pair_labels[@]}"; do
        query=${builtin_queries[i]//TABLE/$table}
        builtin_count=$(count_instructions "${pair_labels[i]}-builtin" "$query")
        query=${dp_queries[i]//TABLE/$table}
        dp_count=$(count_instructions "${pair_labels[i]}-dp" "$query")
        # shellcheck disable=SC2016 # the backticks are Markdown code spans
        awk -v a="$builtin_count" -v b="$dp_count" -v rows="$rows" \
            -v builtin="$(aggregate_of "${builtin_queries[i]}")" \
            -v dp="$(aggregate_of "${dp_queries[i]}")" \
            'BEGIN { printf "| `%s` | %.1f | `%s` | %.1f | %.3f |\n",
                     builtin, a / rows, dp, b / rows, b / a }'
    done

    # A query with no rows to read shows the fixed cost of a query in a new
    # backend, with cold catalog caches.
    fixed_builtin=$(count_instructions empty-builtin "SELECT count(*) FROM $table WHERE false")
    fixed_dp=$(count_instructions empty-dp "SELECT ciam_privacy.dp_count(1.0) FROM $table WHERE false")
    echo
    echo "Fixed cost of a query with no rows (WHERE false) in a new backend:" \
        "count(*) $fixed_builtin instructions, dp_count(1.0) $fixed_dp instructions" \
        "(the latter includes charging the budget; see callgrind/empty-dp.out)."

    echo
    echo "Instructions spent in ciam_privacy.so (self cost), per DP query:"
    for i in "${!pair_labels[@]}"; do
        echo "  ${dp_queries[i]//TABLE/$table}"
        callgrind_annotate --inclusive=no --threshold=100 "$out/callgrind/${pair_labels[i]}-dp.out" \
            2>/dev/null | grep 'ciam_privacy\.so' | head -n 5 | sed 's/^ */    /'
    done
}

echo "== setup"
bash "$root/scripts/setup.sh"

# shellcheck source-path=SCRIPTDIR source=../scripts/cluster.sh
source "$root/scripts/cluster.sh"
trap 'cluster_stop bench' EXIT
cluster_start bench "$port"
# The postmaster has loaded the library, and every backend and parallel
# worker inherits it, so a later install does not change this cluster.
check_installed_library
echo "cluster bench started on $PGHOST, port $PGPORT"

run_psql -c "CREATE EXTENSION ciam_privacy" \
    -c "SELECT ciam_privacy.set_budget('postgres', $budget)" >/dev/null

echo "== machine"
record_machine

echo "== data"
for rows in $sizes; do
    create_table "$rows"
done
# Write the load's dirty pages now, so that a checkpoint during the timing
# has little to write.
run_psql -c "CHECKPOINT"

echo "== plans and timings"
: >"$out/timings.csv"
for rows in $sizes; do
    for mode in parallel serial; do
        check_plans "people_$rows" "$mode"
        time_queries "$rows" "$mode"
    done
done

echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out/machine.txt"
echo "budget: $(run_psql -At -c "SELECT 'spent ' || epsilon_spent || ' of ' || epsilon_limit
    FROM ciam_privacy.budget_status()")"
echo "timing done after $(($(date +%s) - started)) s"

echo "== results"
{
    printf 'Timer: psql \\timing, median of %d interleaved runs after %d warm-up runs.\n' \
        "$reps" "$warmup"
    echo
    print_table
    echo
    print_targets
} | tee "$out/results.md"

if [ "$callgrind" = 1 ]; then
    echo "== instruction counts"
    # A single-user backend needs the data directory to itself.
    cluster_stop bench
    check_installed_library
    print_instruction_counts | tee -a "$out/results.md"
    check_installed_library
fi
echo "elapsed: $(($(date +%s) - started)) s"
echo "files: $out"
