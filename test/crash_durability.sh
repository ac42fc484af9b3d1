#!/usr/bin/env bash
# A crash cannot give back epsilon for a result that was sent. An analyst
# session runs a stream of DP queries. While it runs, the server is stopped
# with "pg_ctl stop -m immediate" (no checkpoint, like a power cut) and
# started again. Every result the client received must still be charged:
# spent >= received * epsilon after crash recovery, and every one must have
# its "released" row in the ledger. The ledger may lack at most the charge
# of the one query in flight, whose result was never sent.
# Needs CIAM_PGDATA (set by cluster_start in scripts/cluster.sh).
set -euo pipefail

: "${CIAM_PGDATA:?set CIAM_PGDATA to the data directory of the test cluster}"
pgbin=${CIAM_PGBIN:-/usr/lib/postgresql/15/bin}
role=regress_crash_analyst
queries=3000
work=$(mktemp -d)
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT

run_pg_ctl() {
    (cd / && runuser -u postgres -- "$pgbin/pg_ctl" -D "$CIAM_PGDATA" "$@")
}

psql -X -q -v ON_ERROR_STOP=1 <<SQL
SET client_min_messages = warning;
DROP TABLE IF EXISTS crash_data;
DROP ROLE IF EXISTS $role;
CREATE ROLE $role LOGIN;
CREATE TABLE crash_data AS SELECT g FROM generate_series(1, 100) g;
GRANT SELECT ON crash_data TO $role;
SELECT ciam_privacy.set_budget('$role', 1000) \g /dev/null
SQL

for ((i = 0; i < queries; i++)); do
    echo "SELECT 'released', ciam_privacy.dp_count(0.01) >= 0 FROM crash_data;"
done >"$work/queries.sql"

psql -X -A -t -U "$role" -d "${PGDATABASE:-postgres}" -f "$work/queries.sql" \
    >"$work/out" 2>"$work/err" &
client=$!

# Crash once the stream is well under way (at least 100 charges)
for ((wait_step = 0; wait_step < 300; wait_step++)); do
    spent=$(psql -X -A -t -c "SELECT coalesce((SELECT epsilon_spent_nanos FROM ciam_privacy.budget WHERE role = '$role'::regrole), 0)")
    if [ "$spent" -ge 1000000000 ]; then
        break
    fi
    sleep 0.05
done
run_pg_ctl -m immediate -w stop >/dev/null
wait "$client" || true

received=$(grep -c '^released|t$' "$work/out" || true)
run_pg_ctl -l "$CIAM_PGDATA/../server.log" -w start >/dev/null
spent=$(psql -X -A -t -c "SELECT epsilon_spent_nanos FROM ciam_privacy.budget WHERE role = '$role'::regrole")
charged_for_received=$((received * 10000000))
read -r ledger_rows ledger_nanos < <(psql -X -A -t -F ' ' -c "
    SELECT count(*), coalesce(sum(epsilon_nanos), 0) FROM ciam_privacy.ledger
    WHERE role = '$role'::regrole AND event = 'released'")

echo "results received before the crash: $received (of $queries)"
echo "charged after recovery: $spent nano-epsilon; needed at least $charged_for_received"
echo "ledger after recovery: $ledger_rows released rows, $ledger_nanos nano-epsilon"

psql -X -q -c "DELETE FROM ciam_privacy.budget WHERE role = '$role'::regrole" \
    -c "DROP TABLE crash_data" -c "DROP ROLE $role"

if [ "$received" -lt 100 ] || [ "$received" -ge "$queries" ]; then
    echo "FAIL: the crash did not interrupt the stream ($received results)"
    exit 1
fi
if [ "$spent" -lt "$charged_for_received" ]; then
    echo "FAIL: charges for released results were lost in the crash"
    exit 1
fi
if [ "$ledger_rows" -lt "$received" ]; then
    echo "FAIL: ledger rows for released results were lost in the crash"
    exit 1
fi
if [ "$ledger_nanos" -gt "$spent" ] || [ $((spent - ledger_nanos)) -gt 10000000 ]; then
    echo "FAIL: ledger ($ledger_nanos) and budget ($spent) differ by more than one charge"
    exit 1
fi
