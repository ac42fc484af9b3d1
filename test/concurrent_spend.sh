#!/usr/bin/env bash
# Concurrent sessions of one analyst cannot together spend past the limit.
# Four sessions each try 60 queries of epsilon 0.1 against a budget of 10,
# at the same time. Exactly 100 must be released and the budget must show
# exactly 10 spent. Every other attempt must be rejected with the budget
# error, not a deadlock or another failure.
# Uses the cluster that PGHOST and PGPORT name (scripts/test.sh sets them).
set -euo pipefail

role=regress_concurrent_analyst
sessions=4
attempts=60
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

psql -X -q -v ON_ERROR_STOP=1 <<SQL
SET client_min_messages = warning;
DROP TABLE IF EXISTS concurrent_data;
DROP ROLE IF EXISTS $role;
CREATE ROLE $role LOGIN;
CREATE TABLE concurrent_data AS SELECT g FROM generate_series(1, 1000) g;
GRANT SELECT ON concurrent_data TO $role;
SELECT ciam_privacy.set_budget('$role', 10) \g /dev/null
SQL

for ((i = 0; i < attempts; i++)); do
    echo "SELECT 'released', ciam_privacy.dp_count(0.1) >= 0 FROM concurrent_data;"
done >"$work/queries.sql"

for ((s = 1; s <= sessions; s++)); do
    psql -X -A -t -U "$role" -d "${PGDATABASE:-postgres}" -f "$work/queries.sql" >"$work/out.$s" 2>"$work/err.$s" &
done
wait

released=$(cat "$work"/out.* | grep -c '^released|t$' || true)
refused=$(cat "$work"/err.* | grep -c 'privacy budget exceeded' || true)
other_errors=$(cat "$work"/err.* | grep 'ERROR' | grep -vc 'privacy budget exceeded' || true)
spent=$(psql -X -A -t -c "SELECT epsilon_spent_nanos FROM ciam_privacy.budget WHERE role = '$role'::regrole")

echo "released=$released refused=$refused other_errors=$other_errors spent_nanos=$spent"

psql -X -q -c "DELETE FROM ciam_privacy.budget WHERE role = '$role'::regrole" \
    -c "DROP TABLE concurrent_data" -c "DROP ROLE $role"

status=0
if [ "$released" -ne 100 ]; then
    echo "FAIL: expected 100 released queries, got $released"
    status=1
fi
if [ "$refused" -ne $((sessions * attempts - 100)) ]; then
    echo "FAIL: expected $((sessions * attempts - 100)) refusals, got $refused"
    status=1
fi
if [ "$other_errors" -ne 0 ]; then
    echo "FAIL: unexpected errors:"
    grep -h ERROR "$work"/err.* | grep -v 'privacy budget exceeded' | head -5
    status=1
fi
if [ "$spent" != "10000000000" ]; then
    echo "FAIL: expected epsilon 10 (10000000000 nano-epsilon) spent, got $spent"
    status=1
fi
exit $status
