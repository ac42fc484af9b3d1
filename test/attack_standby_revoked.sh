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

: "${CIAM_PGDATA:?set CIAM_PGDATA to the data directory of the test cluster}"
pgbin=${CIAM_PGBIN:-/usr/lib/postgresql/15/bin}
role=regress_attack_standby
standby_port=$((PGPORT + 12))
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dir=$root/tmp/standby-$standby_port
db=${PGDATABASE:-postgres}
status=0

as_postgres() { (cd / && runuser -u postgres -- "$@"); }
primary() { psql -X -q -A -t -v ON_ERROR_STOP=1 "$@"; }
standby() { psql -X -q -A -t -h "$dir/socket" -p "$standby_port" "$@"; }
stop_standby() {
    if [ -f "$dir/data/postmaster.pid" ]; then
        as_postgres "$pgbin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true
    fi
}
cleanup() {
    stop_standby
    primary -c "DELETE FROM ciam_privacy.budget WHERE role::text LIKE '${role}%'" \
        -c "DROP TABLE IF EXISTS attack_standby_data" \
        -c "DROP ROLE IF EXISTS ${role}_revoked" -c "DROP ROLE IF EXISTS ${role}_zero" \
        -c "DROP ROLE IF EXISTS ${role}_small" >/dev/null 2>&1 || true
    rm -rf "$dir"
}
trap cleanup EXIT
check() {
    local what=$1 got=$2 expected=$3
    if [ "$got" = "$expected" ]; then
        echo "ok: $what"
    else
        echo "FAIL: $what: got '$got', expected '$expected'"
        status=1
    fi
}
# Run a DP query of the given epsilon on the standby as a role and print
# "released" or the first line of the error.
standby_query() {
    standby -U "$2" -d "$db" \
        -c "SELECT 'released' FROM attack_standby_data HAVING ciam_privacy.dp_count($1) > -1" 2>&1 |
        sed -n '1{s/^psql:[^E]*ERROR: */ERROR: /;p}'
}
wait_replay() {
    local target
    target=$(primary -c "SELECT pg_current_wal_lsn()")
    for ((i = 0; i < 100; i++)); do
        if [ "$(standby -d postgres -c "SELECT pg_last_wal_replay_lsn() >= '$target'")" = t ]; then
            return 0
        fi
        sleep 0.1
    done
    echo "FAIL: the standby did not replay up to $target"
    exit 1
}

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

rm -rf "$dir"
mkdir -p "$dir/socket"
chown -R postgres:postgres "$dir"
chmod 700 "$dir/socket"
as_postgres "$pgbin/pg_basebackup" -h "$PGHOST" -p "$PGPORT" -U postgres \
    -D "$dir/data" -R -X stream --checkpoint=fast
cat >>"$dir/data/postgresql.conf" <<CONF
port = $standby_port
unix_socket_directories = '$dir/socket'
hot_standby = on
ciam_privacy.standby_epsilon_limit = 1
CONF
as_postgres "$pgbin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w start >/dev/null
check "server is a standby" "$(standby -d postgres -c 'SELECT pg_is_in_recovery()')" t
wait_replay

check "analyst spends on the standby before revocation" \
    "$(standby_query 0.1 ${role}_revoked)" released

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

check "role with a limit of 0 on the primary" "$(standby_query 0.1 ${role}_zero)" \
    "ERROR:  standby privacy budget exceeded for role \"${role}_zero\""
check "role with a primary limit below the standby's: first charge" \
    "$(standby_query 0.2 ${role}_small)" released
check "role with a primary limit below the standby's: over 0.3" \
    "$(standby_query 0.2 ${role}_small)" \
    "ERROR:  standby privacy budget exceeded for role \"${role}_small\""
exit $status
