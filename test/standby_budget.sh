#!/usr/bin/env bash
# A real streaming hot standby of the test cluster. DP queries on it are
# rejected until its owner sets ciam_privacy.standby_epsilon_limit. Then
# each analyst may spend that much there. The spending is kept in a file of
# the standby, which a restart and a torn record do not reset. The
# primary's budget and ledger stay untouched.
# Needs CIAM_PGDATA, PGHOST and PGPORT of the primary (scripts/test.sh sets
# them); the standby listens on the primary's port + 2, on a Unix socket.
set -euo pipefail

role=regress_standby_analyst
standby_port=$((PGPORT + 2))
# shellcheck source=test/lib/standby.bash
source "$(dirname "${BASH_SOURCE[0]}")/lib/standby.bash"

cleanup() {
    stop_standby
    primary -c "DELETE FROM ciam_privacy.budget WHERE role = '$role'::regrole" \
        -c "DROP TABLE IF EXISTS standby_data" -c "DROP ROLE IF EXISTS $role" \
        -c "DROP ROLE IF EXISTS ${role}_none" >/dev/null 2>&1 || true
    rm -rf "$dir"
}
trap cleanup EXIT
primary <<SQL
SET client_min_messages = warning;
DROP TABLE IF EXISTS standby_data;
DROP ROLE IF EXISTS $role;
DROP ROLE IF EXISTS ${role}_none;
CREATE ROLE $role LOGIN;
CREATE ROLE ${role}_none LOGIN;
CREATE TABLE standby_data AS SELECT g FROM generate_series(1, 100) g;
GRANT SELECT ON standby_data TO $role, ${role}_none;
SELECT ciam_privacy.set_budget('$role', 1) \g /dev/null
SQL

start_standby </dev/null

# Without the setting: a clear error, and queries without DP still run
check "DP query rejected by default" "$(standby_dp_query 0.1 $role standby_data)" \
    "ERROR:  cannot charge a privacy budget on a hot standby"
check "plain query runs" "$(standby -U $role -d "$db" -c 'SELECT count(*) FROM standby_data')" 100

# The owner opts in: 0.5 per analyst on this standby
echo "ciam_privacy.standby_epsilon_limit = 0.5" >>"$dir/data/postgresql.conf"
as_postgres "$pgbin/pg_ctl" -D "$dir/data" reload >/dev/null
# A reload is asynchronous: wait until new sessions see the setting
for ((i = 0; i < 100; i++)); do
    [ "$(standby -d postgres -c 'SHOW ciam_privacy.standby_epsilon_limit')" = 0.5 ] && break
    sleep 0.1
done
check "first charge" "$(standby_dp_query 0.2 $role standby_data)" released
check "second charge" "$(standby_dp_query 0.2 $role standby_data)" released
check "third charge over the limit" "$(standby_dp_query 0.2 $role standby_data)" \
    "ERROR:  standby privacy budget exceeded for role \"$role\""
check "analyst cannot change the setting" \
    "$(standby -U $role -d "$db" -c 'SET ciam_privacy.standby_epsilon_limit = 100' 2>&1 | sed -n 1p)" \
    "ERROR:  parameter \"ciam_privacy.standby_epsilon_limit\" cannot be changed now"
check "role without a budget on the primary" "$(standby_dp_query 0.1 ${role}_none standby_data)" \
    "ERROR:  role \"${role}_none\" has no privacy budget"
check "spending on the standby" \
    "$(standby -d "$db" -c "SELECT role || '=' || epsilon_spent FROM ciam_privacy.standby_spending()")" \
    "$role=0.4"

# A restart, and a record torn by a crash, keep what was spent
stop_standby
printf 'torn!' >>"$dir/data/ciam_privacy_standby_spent"
chown postgres:postgres "$dir/data/ciam_privacy_standby_spent"
as_postgres "$pgbin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w start >/dev/null
check "over the limit after restart" "$(standby_dp_query 0.2 $role standby_data)" \
    "ERROR:  standby privacy budget exceeded for role \"$role\""
check "the rest of the limit" "$(standby_dp_query 0.1 $role standby_data)" released
check "limit spent" "$(standby_dp_query 0.000001 $role standby_data)" \
    "ERROR:  standby privacy budget exceeded for role \"$role\""
check "torn record cut" "$(grep -c 'cutting a torn record' "$dir/server.log")" 1

# Standby charges are logged on the standby, and the primary is untouched
check "standby charges logged" "$(grep -c 'charged query on standby' "$dir/server.log")" 3
check "primary budget untouched" \
    "$(primary -c "SELECT epsilon_spent_nanos FROM ciam_privacy.budget WHERE role = '$role'::regrole")" 0
check "primary ledger has no release" \
    "$(primary -c "SELECT count(*) FROM ciam_privacy.ledger WHERE role = '$role'::regrole AND event = 'released'")" 0
exit $status
