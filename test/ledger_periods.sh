#!/usr/bin/env bash
# Four renew_budgets() calls at once renew a due budget period once: one
# period_renewed ledger row, and the next renewal one period ahead.
# Uses the cluster that PGHOST and PGPORT name (scripts/test.sh sets them).
set -euo pipefail

role=regress_periods_analyst
runs=4
status=0
sql() { psql -X -q -A -t -v ON_ERROR_STOP=1 "$@"; }
cleanup() {
    sql -c "SET client_min_messages = warning" \
        -c "DELETE FROM ciam_privacy.budget_period WHERE role::text = '$role'" \
        -c "DELETE FROM ciam_privacy.budget WHERE role::text = '$role'" \
        -c "DROP ROLE IF EXISTS $role" >/dev/null 2>&1 || true
}
trap cleanup EXIT

cleanup
sql -c "CREATE ROLE $role LOGIN" \
    -c "SELECT ciam_privacy.set_budget('$role', 1)" \
    -c "SELECT ciam_privacy.set_budget_period('$role', '1 day', now() - interval '1 hour')" >/dev/null

for ((i = 0; i < runs; i++)); do
    sql -c "CALL ciam_privacy.renew_budgets()" &
done
wait

renewed=$(sql -c "SELECT count(*) FROM ciam_privacy.ledger WHERE role = '$role'::regrole AND event = 'period_renewed'")
ahead=$(sql -c "SELECT next_renewal > now() + interval '22 hours' AND next_renewal <= now() + interval '23 hours'
                FROM ciam_privacy.budget_period WHERE role = '$role'::regrole")
echo "renewals recorded: $renewed; next renewal one period after the missed one: $ahead"
if [ "$renewed" -ne 1 ]; then
    echo "FAIL: expected one renewal from $runs concurrent runs, got $renewed"
    status=1
fi
if [ "$ahead" != t ]; then
    echo "FAIL: the next renewal is not one day after the missed one"
    status=1
fi
exit $status
