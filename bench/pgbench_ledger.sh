#!/usr/bin/env bash
# Load test of the charge path: 8 analysts, one pgbench client each, query a
# small privatized view until their budgets run out. Checks that no analyst
# spent past the limit, that every released query has its ledger row, and
# that no client failed with anything but the budget error (a deadlock, a
# lost connection). Reports charged queries per second.
# Run as root (scripts/cluster.sh starts servers as the postgres user).
#
# Method
#   Each analyst gets a budget of BENCH_QUERIES queries of epsilon 0.001.
#   The 8 pgbench processes (-c 1 each, since pgbench logs all its clients
#   in as one role) run the same one-statement script with -M prepared and
#   more transactions than the budget allows. pgbench stops a client at its
#   first error, which is the budget refusal. Charged queries per second
#   is the total of released queries (ledger rows) divided by the wall time
#   from the start of the first pgbench to the end of the last.
#   The view reads 100 rows through a LEFT JOIN of 4 keys, so per-query time
#   is mostly fixed cost: parse, plan, the charge and its WAL flush.
#   With BENCH_BASELINE=1 (the default) the same 8 clients then run the same
#   query shape with count() in place of dp_count() for BENCH_SECONDS on the
#   base table directly, as a superuser, for a ratio measured in the same
#   run on the same machine load.
#
# Settings (environment variables)
#   CIAM_PGBIN     PostgreSQL 15 binaries (default /usr/lib/postgresql/15/bin)
#   BENCH_PORT     port of the private cluster "pgbench" (default 56110)
#   BENCH_QUERIES  budget of each analyst, in queries (default 4000)
#   BENCH_CLIENTS  analysts, one client each (default 8)
#   BENCH_SECONDS  length of the baseline run (default 10)
#   BENCH_BASELINE 1 to run the count() baseline, 0 to skip it
#   BENCH_EXISTING 1 to use the cluster that PGHOST and PGPORT name and the
#                  database PGDATABASE, instead of starting one (for tests)
#
# Output: one line per analyst, a summary, and "charged_qps=N"; exit 0 only
# if every check passed.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export CIAM_PGBIN=${CIAM_PGBIN:-/usr/lib/postgresql/15/bin}
queries=${BENCH_QUERIES:-4000}
clients=${BENCH_CLIENTS:-8}
seconds=${BENCH_SECONDS:-10}
baseline=${BENCH_BASELINE:-1}
epsilon_nanos=1000000
prefix=bench_analyst_

# shellcheck source=scripts/cluster.sh
source "$here/scripts/cluster.sh"
if [ "${BENCH_EXISTING:-0}" != 1 ]; then
    bash "$here/scripts/setup.sh" >/dev/null
    cluster_start pgbench "${BENCH_PORT:-56110}"
    trap 'cluster_stop pgbench' EXIT
    export PGDATABASE=postgres
    psql -X -q -c "CREATE EXTENSION ciam_privacy"
fi
db=${PGDATABASE:-postgres}
work=$(mktemp -d)
chmod 755 "$work"
cleanup_work() { rm -rf "$work"; }
trap 'cleanup_work; [ "${BENCH_EXISTING:-0}" = 1 ] || cluster_stop pgbench' EXIT

sql() { psql -X -q -A -t -v ON_ERROR_STOP=1 "$@"; }

# Analysts may connect to this database only: the statistics of another
# database would count the rows read here. Undone at the end.
sql <<SQL
SET client_min_messages = warning;
DROP SCHEMA IF EXISTS bench_views, bench_private, bench_public CASCADE;
DO \$\$
DECLARE
    r name;
BEGIN
    FOR r IN SELECT rolname FROM pg_roles WHERE rolname LIKE '${prefix}%' LOOP
        DELETE FROM ciam_privacy.budget WHERE role = r::regrole;
        DELETE FROM ciam_privacy.published_view WHERE analyst = r::regrole;
        EXECUTE format('DROP ROLE %I', r);
    END LOOP;
    FOR r IN SELECT datname FROM pg_database
             WHERE datallowconn AND datname <> current_database() LOOP
        EXECUTE format('REVOKE CONNECT ON DATABASE %I FROM PUBLIC', r);
    END LOOP;
END;
\$\$;
SELECT ciam_privacy.restrict_statistics();
CREATE SCHEMA bench_private;
CREATE SCHEMA bench_public;
CREATE SCHEMA bench_views;
CREATE TABLE bench_private.customers AS
    SELECT g AS id, (ARRAY['DE', 'FR', 'US'])[g % 3 + 1] AS country
    FROM generate_series(1, 100) g;
CREATE TABLE bench_public.countries (country text PRIMARY KEY);
INSERT INTO bench_public.countries VALUES ('DE'), ('FR'), ('US'), ('IT');
CREATE VIEW bench_views.customers_per_country WITH (security_barrier) AS
    SELECT k.country, ciam_privacy.dp_count(c.id, 0.001) AS customers
    FROM bench_public.countries k
    LEFT JOIN bench_private.customers c ON c.country = k.country
    GROUP BY k.country
    ORDER BY k.country;
SQL

for ((i = 1; i <= clients; i++)); do
    sql <<SQL
SET client_min_messages = error;
SELECT ciam_privacy.create_analyst('$prefix$i', $queries * 0.001, true, 2);
GRANT USAGE ON SCHEMA bench_public TO $prefix$i;
GRANT SELECT ON bench_public.countries TO $prefix$i;
SELECT ciam_privacy.grant_view('bench_views.customers_per_country', '$prefix$i');
SQL
done >/dev/null

echo "SELECT customers FROM bench_views.customers_per_country;" >"$work/dp.sql"
echo "SELECT k.country, count(c.id) FROM bench_public.countries k LEFT JOIN bench_private.customers c ON c.country = k.country GROUP BY k.country ORDER BY k.country;" \
    >"$work/baseline.sql"
chmod 644 "$work"/*.sql

ledger_start=$(sql -c "SELECT count(*) FROM ciam_privacy.ledger")
start_ns=$(date +%s%N)
for ((i = 1; i <= clients; i++)); do
    "$CIAM_PGBIN/pgbench" -n -M prepared -c 1 -t $((queries + 50)) \
        -U "$prefix$i" -f "$work/dp.sql" "$db" >"$work/out.$i" 2>"$work/err.$i" &
done
pgbench_failures=0
for job in $(jobs -p); do
    wait "$job" || pgbench_failures=$((pgbench_failures + 1))
done
end_ns=$(date +%s%N)
elapsed_ms=$(((end_ns - start_ns) / 1000000))

status=0
total_released=0
for ((i = 1; i <= clients; i++)); do
    role=$prefix$i
    processed=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$work/out.$i")
    processed=${processed:-0}
    refusals=$(grep -c 'privacy budget exceeded' "$work/err.$i" || true)
    others=$(grep -E 'ERROR|FATAL|deadlock' "$work/err.$i" | grep -vc 'privacy budget exceeded' || true)
    read -r limit spent released refused ledger_nanos < <(sql -F ' ' -c "
        SELECT b.epsilon_limit_nanos, b.epsilon_spent_nanos,
               (SELECT count(*) FROM ciam_privacy.ledger l
                WHERE l.role = b.role AND l.event = 'released'),
               (SELECT count(*) FROM ciam_privacy.ledger l
                WHERE l.role = b.role AND l.event = 'refused'),
               (SELECT coalesce(sum(l.epsilon_nanos), 0) FROM ciam_privacy.ledger l
                WHERE l.role = b.role AND l.event = 'released')
        FROM ciam_privacy.budget b WHERE b.role = '$role'::regrole")
    echo "$role: processed=$processed released_rows=$released refused_rows=$refused spent=$spent limit=$limit"
    total_released=$((total_released + released))
    if [ "$spent" -gt "$limit" ]; then
        echo "FAIL: $role overspent: $spent > $limit"; status=1
    fi
    if [ "$released" -ne "$processed" ] || [ "$released" -ne "$queries" ]; then
        echo "FAIL: $role: $processed results, $released ledger rows, budget for $queries"; status=1
    fi
    if [ "$ledger_nanos" -ne "$spent" ]; then
        echo "FAIL: $role: ledger sums to $ledger_nanos, budget shows $spent"; status=1
    fi
    if [ "$refusals" -ne 1 ] || [ "$refused" -lt 1 ]; then
        echo "FAIL: $role: expected one budget refusal, got $refusals (ledger $refused)"; status=1
    fi
    if [ "$others" -ne 0 ]; then
        echo "FAIL: $role: unexpected errors:"; grep -E 'ERROR|FATAL|deadlock' "$work/err.$i" | head -3; status=1
    fi
done
ledger_end=$(sql -c "SELECT count(*) FROM ciam_privacy.ledger")
if [ $((ledger_end - ledger_start)) -ne $((total_released + clients)) ]; then
    echo "FAIL: ledger grew by $((ledger_end - ledger_start)), expected $((total_released + clients))"
    status=1
fi

charged_qps=$((total_released * 1000 / (elapsed_ms > 0 ? elapsed_ms : 1)))
echo "released=$total_released in ${elapsed_ms} ms by $clients analysts"
echo "charged_qps=$charged_qps"

if [ "$baseline" = 1 ]; then
    "$CIAM_PGBIN/pgbench" -n -M prepared -c "$clients" -j 2 -T "$seconds" \
        -U postgres -f "$work/baseline.sql" "$db" >"$work/baseline.out" 2>&1
    baseline_tps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$work/baseline.out" | head -1)
    echo "baseline_count_qps=${baseline_tps%.*} (count() on the base tables, superuser, same clients)"
fi

sql <<SQL >/dev/null
SET client_min_messages = warning;
DO \$\$
DECLARE
    r name;
BEGIN
    FOR r IN SELECT rolname FROM pg_roles WHERE rolname LIKE '${prefix}%' LOOP
        PERFORM ciam_privacy.revoke_analyst(r::regrole);
        DELETE FROM ciam_privacy.budget WHERE role = r::regrole;
        EXECUTE format('REVOKE ALL ON SCHEMA bench_public, bench_views FROM %I', r);
        EXECUTE format('REVOKE ALL ON bench_public.countries FROM %I', r);
        EXECUTE format('DROP ROLE %I', r);
    END LOOP;
    FOR r IN SELECT datname FROM pg_database
             WHERE datallowconn AND datname <> current_database() LOOP
        EXECUTE format('GRANT CONNECT ON DATABASE %I TO PUBLIC', r);
    END LOOP;
END;
\$\$;
DROP SCHEMA bench_views, bench_private, bench_public CASCADE;
SQL

if [ "$pgbench_failures" -ne "$clients" ]; then
    echo "FAIL: $pgbench_failures of $clients pgbench runs ended with an error; each should stop at its budget"
    status=1
fi
exit $status
