#!/usr/bin/env bash
# A charge interrupted between the budget update and its ledger row must not
# leave spending that the ledger does not show. The data owner holds a lock
# on ciam_privacy.ledger (an export under LOCK TABLE, an ALTER TABLE) while
# an analyst's DP query runs. The query is then stopped by statement_timeout,
# lock_timeout or pg_cancel_backend(). The owner's set_budget() is stopped
# the same way. Afterwards each role's epsilon spending must equal the sum of
# its "released" ledger rows, and its limit the last "limit_set" row.
set -euo pipefail

role=regress_attack_cancel
db=${PGDATABASE:-postgres}
status=0

sql() { psql -X -q -A -t -v ON_ERROR_STOP=1 "$@"; }
cleanup() {
    sql -c "DELETE FROM ciam_privacy.budget WHERE role = '$role'::regrole" \
        -c "DROP TABLE IF EXISTS attack_cancel_data" \
        -c "DROP ROLE IF EXISTS $role" >/dev/null 2>&1 || true
}
trap cleanup EXIT

sql -c "SET client_min_messages = warning" -c "DROP TABLE IF EXISTS attack_cancel_data" \
    -c "DROP ROLE IF EXISTS $role" \
    -c "CREATE TABLE attack_cancel_data AS SELECT g FROM generate_series(1, 100) g" \
    -c "CREATE ROLE $role LOGIN" \
    -c "GRANT SELECT ON attack_cancel_data TO $role" \
    -c "SELECT ciam_privacy.set_budget('$role', 10)" >/dev/null
# One released row before the attacks, so the ledger is not empty
sql -U "$role" -d "$db" -c "SELECT ciam_privacy.dp_count(0.5) >= 0 FROM attack_cancel_data" >/dev/null

# Hold a SHARE lock on the ledger for a few seconds in the background, and
# return once the lock is granted.
hold_ledger_lock() {
    sql -c "BEGIN" -c "LOCK TABLE ciam_privacy.ledger IN SHARE MODE" \
        -c "SELECT pg_sleep(3)" -c "COMMIT" >/dev/null &
    locker=$!
    for ((step = 0; step < 200; step++)); do
        held=$(sql -c "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
                       WHERE c.relname = 'ledger' AND l.mode = 'ShareLock' AND l.granted")
        [ "$held" -ge 1 ] && return 0
        sleep 0.05
    done
    echo "the ledger lock was never granted" >&2
    return 1
}

# Check that the ledger accounts for the role's spending and limit.
check_ledger() {
    local what=$1 row
    row=$(sql -c "SELECT b.epsilon_spent_nanos,
                         (SELECT coalesce(sum(l.epsilon_nanos), 0) FROM ciam_privacy.ledger l
                          WHERE l.role = b.role AND l.event = 'released'),
                         b.epsilon_limit_nanos,
                         (SELECT l.epsilon_nanos FROM ciam_privacy.ledger l
                          WHERE l.role = b.role AND l.event = 'limit_set'
                          ORDER BY l.recorded_at DESC LIMIT 1)
                  FROM ciam_privacy.budget b WHERE b.role = '$role'::regrole")
    IFS='|' read -r spent ledger_sum limit ledger_limit <<<"$row"
    if [ "$spent" != "$ledger_sum" ]; then
        echo "FAIL ($what): spent $spent nano-epsilon but the ledger records $ledger_sum" >&2
        status=1
    else
        echo "ok ($what): spent $spent, ledger $ledger_sum"
    fi
    if [ "$limit" != "$ledger_limit" ]; then
        echo "FAIL ($what): limit $limit but the last limit_set row says $ledger_limit" >&2
        status=1
    fi
}

query="SELECT ciam_privacy.dp_count(0.25) >= 0 FROM attack_cancel_data"

hold_ledger_lock
sql -U "$role" -d "$db" -c "SET statement_timeout = '300ms'" -c "$query" >/dev/null 2>&1 || true
wait "$locker"
check_ledger "statement_timeout"

hold_ledger_lock
sql -U "$role" -d "$db" -c "SET lock_timeout = '300ms'" -c "$query" >/dev/null 2>&1 || true
wait "$locker"
check_ledger "lock_timeout"

hold_ledger_lock
sql -U "$role" -d "$db" -c "$query" >/dev/null 2>&1 &
analyst=$!
for ((step = 0; step < 100; step++)); do
    waiting=$(sql -c "SELECT count(*) FROM pg_stat_activity
                      WHERE usename = '$role' AND wait_event_type = 'Lock'")
    [ "$waiting" -ge 1 ] && break
    sleep 0.05
done
sql -c "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE usename = '$role'" >/dev/null
wait "$analyst" || true
wait "$locker"
check_ledger "pg_cancel_backend"

# The owner's own limit change, stopped while it waits for the ledger
hold_ledger_lock
sql -c "SET statement_timeout = '300ms'" -c "SELECT ciam_privacy.set_budget('$role', 7)" \
    >/dev/null 2>&1 || true
wait "$locker"
check_ledger "set_budget with statement_timeout"

exit $status
