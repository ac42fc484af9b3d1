#!/usr/bin/env bash
# A crash in the middle of a workload of four analyst sessions at once loses
# no ledger row of a released result. Each session streams DP queries;
# "pg_ctl stop -m immediate" stops the server (no checkpoint, like a power
# cut), and after crash recovery, for every analyst: ledger rows >= results
# received, ledger sum <= budget spending, and the two differ by at most
# the one charge that was in flight. The ledger pages the sessions filled
# together must also read back whole (amcheck's heap verification).
# Needs CIAM_PGDATA (set by cluster_start in scripts/cluster.sh).
set -euo pipefail

: "${CIAM_PGDATA:?set CIAM_PGDATA to the data directory of the test cluster}"
pgbin=${CIAM_PGBIN:-/usr/lib/postgresql/15/bin}
sessions=4
queries=2000
charge_nanos=10000000
prefix=regress_crash_session_
db=${PGDATABASE:-postgres}
work=$(mktemp -d)
chmod 755 "$work"
status=0

run_pg_ctl() { (cd / && runuser -u postgres -- "$pgbin/pg_ctl" -D "$CIAM_PGDATA" "$@"); }
sql() { psql -X -q -A -t -v ON_ERROR_STOP=1 "$@"; }
cleanup() {
    for ((s = 1; s <= sessions; s++)); do
        sql -c "DELETE FROM ciam_privacy.budget WHERE role = '$prefix$s'::regrole" \
            -c "DROP ROLE IF EXISTS $prefix$s" >/dev/null 2>&1 || true
    done
    sql -c "DROP TABLE IF EXISTS crash_sessions_data" -c "DROP EXTENSION IF EXISTS amcheck" \
        >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

sql -c "SET client_min_messages = warning" -c "DROP TABLE IF EXISTS crash_sessions_data" \
    -c "CREATE TABLE crash_sessions_data AS SELECT g FROM generate_series(1, 100) g" \
    -c "CREATE EXTENSION IF NOT EXISTS amcheck"
for ((s = 1; s <= sessions; s++)); do
    sql -c "SET client_min_messages = warning" -c "DROP ROLE IF EXISTS $prefix$s" \
        -c "CREATE ROLE $prefix$s LOGIN" \
        -c "GRANT SELECT ON crash_sessions_data TO $prefix$s" \
        -c "SELECT ciam_privacy.set_budget('$prefix$s', 1000)" >/dev/null
done
for ((i = 0; i < queries; i++)); do
    echo "SELECT 'released', ciam_privacy.dp_count(0.01) >= 0 FROM crash_sessions_data;"
done >"$work/queries.sql"

for ((s = 1; s <= sessions; s++)); do
    psql -X -A -t -U "$prefix$s" -d "$db" -f "$work/queries.sql" \
        >"$work/out.$s" 2>"$work/err.$s" &
done
# Crash once every session is under way (at least 50 charges each)
for ((step = 0; step < 300; step++)); do
    least=$(sql -c "SELECT coalesce(min(epsilon_spent_nanos), 0) FROM ciam_privacy.budget
                    WHERE role::text LIKE '${prefix}%'")
    [ "$least" -ge $((50 * charge_nanos)) ] && break
    sleep 0.05
done
run_pg_ctl -m immediate -w stop >/dev/null
wait || true
run_pg_ctl -l "$CIAM_PGDATA/../server.log" -w start >/dev/null

for ((s = 1; s <= sessions; s++)); do
    role=$prefix$s
    received=$(grep -c '^released|t$' "$work/out.$s" || true)
    read -r spent rows ledger_nanos < <(sql -F ' ' -c "
        SELECT b.epsilon_spent_nanos,
               (SELECT count(*) FROM ciam_privacy.ledger l WHERE l.role = b.role AND l.event = 'released'),
               (SELECT coalesce(sum(l.epsilon_nanos), 0) FROM ciam_privacy.ledger l
                WHERE l.role = b.role AND l.event = 'released')
        FROM ciam_privacy.budget b WHERE b.role = '$role'::regrole")
    echo "$role: received=$received ledger_rows=$rows ledger_nanos=$ledger_nanos spent=$spent"
    if [ "$received" -lt 50 ] || [ "$received" -ge "$queries" ]; then
        echo "FAIL: the crash did not interrupt $role's stream ($received results)"; status=1
    fi
    if [ "$rows" -lt "$received" ]; then
        echo "FAIL: $role: ledger rows for released results were lost"; status=1
    fi
    if [ "$spent" -lt $((received * charge_nanos)) ]; then
        echo "FAIL: $role: charges for released results were lost"; status=1
    fi
    if [ "$ledger_nanos" -gt "$spent" ] || [ $((spent - ledger_nanos)) -gt "$charge_nanos" ]; then
        echo "FAIL: $role: ledger and budget differ by more than one charge"; status=1
    fi
done

corrupt=$(sql -c "SELECT count(*) FROM verify_heapam('ciam_privacy.ledger')")
echo "amcheck problems in the ledger: $corrupt"
if [ "$corrupt" -ne 0 ]; then
    sql -c "SELECT * FROM verify_heapam('ciam_privacy.ledger') LIMIT 5"
    status=1
fi
exit $status
