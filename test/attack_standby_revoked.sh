#!/usr/bin/env bash
# An analyst that the data owner stopped on the primary, with
# revoke_analyst() (limits set to 0) or set_budget(role, 0), must not keep
# spending on a hot standby that opted into ciam_privacy.standby_epsilon_limit.
# A revoked analyst keeps a session that was open before the revocation, and
# NOLOGIN does not end it. The standby caps each role's spending at the
# smaller of its own limit and the role's epsilon limit on the primary.
# Needs CIAM_PGDATA, PGHOST and PGPORT of the primary (scripts/test.sh sets
# them); the standby listens on the primary's port + 12, on a Unix socket.
set -euo pipefail

role=regress_attack_standby
standby_port=$((PGPORT + 12))
# shellcheck source=test/lib/standby.bash
source "$(dirname "${BASH_SOURCE[0]}")/lib/standby.bash"

cleanup() {
    stop_standby
    primary -c "DELETE FROM ciam_privacy.budget WHERE role::text LIKE '${role}%'" \
        -c "DROP TABLE IF EXISTS attack_standby_data" \
        -c "DROP ROLE IF EXISTS ${role}_revoked" -c "DROP ROLE IF EXISTS ${role}_zero" \
        -c "DROP ROLE IF EXISTS ${role}_small" >/dev/null 2>&1 || true
    rm -rf "$dir"
}
trap cleanup EXIT
primary <<SQL
SET client_min_messages = warning;
DROP TABLE IF EXISTS attack_standby_data;
DROP ROLE IF EXISTS ${role}_revoked;
DROP ROLE IF EXISTS ${role}_zero;
DROP ROLE IF EXISTS ${role}_small;
CREATE ROLE ${role}_revoked LOGIN;
CREATE ROLE ${role}_zero LOGIN;
CREATE ROLE ${role}_small LOGIN;
CREATE TABLE attack_standby_data AS SELECT g FROM generate_series(1, 100) g;
GRANT SELECT ON attack_standby_data TO ${role}_revoked, ${role}_zero, ${role}_small;
SELECT ciam_privacy.set_budget('${role}_revoked', 5) \g /dev/null
SELECT ciam_privacy.set_budget('${role}_zero', 0) \g /dev/null
SELECT ciam_privacy.set_budget('${role}_small', 0.3) \g /dev/null
SQL

start_standby <<<"ciam_privacy.standby_epsilon_limit = 1"

check "analyst spends on the standby before revocation" \
    "$(standby_dp_query 0.1 ${role}_revoked attack_standby_data)" released

# The analyst logs in to the standby, then the owner revokes them on the
# primary (limits 0, NOLOGIN). NOLOGIN refuses new logins only, so the
# session goes on and runs a DP query once the revocation has replayed.
standby -U ${role}_revoked -d "$db" >"$root/tmp/attack_standby_session.out" 2>&1 <<SQL &
SELECT pg_sleep(3);
SELECT 'released' FROM attack_standby_data HAVING ciam_privacy.dp_count(0.1) > -1;
SQL
session=$!
sleep 1
primary -c "SET client_min_messages = warning" \
    -c "SELECT ciam_privacy.revoke_analyst('${role}_revoked')" >/dev/null
wait_replay
wait "$session" || true
check "revoked analyst's open session on the standby" \
    "$(grep -m1 -o 'released\|ERROR:.*' "$root/tmp/attack_standby_session.out")" \
    "ERROR:  standby privacy budget exceeded for role \"${role}_revoked\""
rm -f "$root/tmp/attack_standby_session.out"

check "role with a limit of 0 on the primary" "$(standby_dp_query 0.1 ${role}_zero attack_standby_data)" \
    "ERROR:  standby privacy budget exceeded for role \"${role}_zero\""
check "role with a primary limit below the standby's: first charge" \
    "$(standby_dp_query 0.2 ${role}_small attack_standby_data)" released
check "role with a primary limit below the standby's: over 0.3" \
    "$(standby_dp_query 0.2 ${role}_small attack_standby_data)" \
    "ERROR:  standby privacy budget exceeded for role \"${role}_small\""
exit $status
