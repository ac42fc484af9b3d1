#!/usr/bin/env bash
# Analysts behind a connection pooler are distinguished only if the server
# login role is the analyst. PgBouncer (transaction pooling) keeps one pool
# per database and user, so each analyst's queries run in a backend logged
# in as that analyst and are charged to their own budget. A database entry
# that forces one shared user makes every analyst spend the shared role's
# budget, and the ledger shows only that role: this test shows both.
# PgBouncer listens on a Unix socket only (port: the cluster's port + 3).
# Needs PGHOST and PGPORT of the test cluster (scripts/test.sh sets them).
set -euo pipefail

if ! command -v pgbouncer >/dev/null; then
    echo "FAIL: pgbouncer is not installed; scripts/setup.sh installs it"
    exit 1
fi
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
db=${PGDATABASE:-postgres}
pool_port=$((PGPORT + 3))
dir=$root/tmp/pgbouncer-$pool_port
alice=regress_pool_alice
bob=regress_pool_bob
shared=regress_pool_shared
status=0

as_postgres() { (cd / && runuser -u postgres -- "$@"); }
primary() { psql -X -q -A -t -v ON_ERROR_STOP=1 "$@"; }
pooled() { psql -X -q -A -t -h "$dir" -p "$pool_port" "$@"; }
cleanup() {
    if [ -f "$dir/pgbouncer.pid" ]; then
        kill "$(cat "$dir/pgbouncer.pid")" 2>/dev/null || true
        sleep 0.3
    fi
    primary -c "SET client_min_messages = warning" \
        -c "DELETE FROM ciam_privacy.budget WHERE role::text IN ('$alice', '$bob', '$shared')" \
        -c "DROP TABLE IF EXISTS pool_data" \
        -c "DROP ROLE IF EXISTS $alice, $bob, $shared" >/dev/null 2>&1 || true
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
spent() {
    primary -c "SELECT epsilon_spent_nanos FROM ciam_privacy.budget WHERE role = '$1'::regrole"
}
ledger_rows() {
    primary -c "SELECT count(*) FROM ciam_privacy.ledger WHERE role = '$1'::regrole AND event = 'released'"
}

primary <<SQL
SET client_min_messages = warning;
DROP TABLE IF EXISTS pool_data;
DROP ROLE IF EXISTS $alice, $bob, $shared;
CREATE ROLE $alice LOGIN;
CREATE ROLE $bob LOGIN;
CREATE ROLE $shared LOGIN;
CREATE TABLE pool_data AS SELECT g FROM generate_series(1, 100) g;
GRANT SELECT ON pool_data TO $alice, $bob, $shared;
SELECT ciam_privacy.set_budget('$alice', 1) \g /dev/null
SELECT ciam_privacy.set_budget('$bob', 1) \g /dev/null
SELECT ciam_privacy.set_budget('$shared', 1) \g /dev/null
SQL

rm -rf "$dir"
mkdir -p "$dir"
cat >"$dir/userlist.txt" <<USERS
"$alice" ""
"$bob" ""
"$shared" ""
USERS
cat >"$dir/pgbouncer.ini" <<INI
[databases]
; one pool per client user: the server login role is the analyst
$db = host=$PGHOST port=$PGPORT dbname=$db
; one forced user for everyone: what not to do
shared_login = host=$PGHOST port=$PGPORT dbname=$db user=$shared

[pgbouncer]
listen_addr =
listen_port = $pool_port
unix_socket_dir = $dir
unix_socket_mode = 0700
auth_type = trust
auth_file = $dir/userlist.txt
pool_mode = transaction
default_pool_size = 2
max_client_conn = 20
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
INI
chown -R postgres:postgres "$dir"
chmod 700 "$dir"
as_postgres pgbouncer -d "$dir/pgbouncer.ini"
for ((i = 0; i < 100; i++)); do
    [ -S "$dir/.s.PGSQL.$pool_port" ] && break
    sleep 0.1
done
check "pgbouncer listens on no TCP port" \
    "$(grep -c 'listening on [0-9]' "$dir/pgbouncer.log" || true)" 0

# Per-user pools: several clients of each analyst, interleaved
for ((round = 0; round < 3; round++)); do
    for analyst in $alice $bob $alice; do
        pooled -U "$analyst" -d "$db" \
            -c "SELECT ciam_privacy.dp_count(0.1) >= 0 FROM pool_data" >/dev/null &
    done
    wait
done
check "login role behind the pooler" \
    "$(pooled -U $bob -d "$db" -c 'SELECT session_user')" $bob
check "alice charged her own queries" "$(spent $alice)" 600000000
check "bob charged his own queries" "$(spent $bob)" 300000000
check "alice's ledger rows" "$(ledger_rows $alice)" 6
check "bob's ledger rows" "$(ledger_rows $bob)" 3
check "analyst sees own budget through the pooler" \
    "$(pooled -U $bob -d "$db" -c 'SELECT epsilon_spent FROM ciam_privacy.budget_status()')" 0.3

# A forced shared user: both analysts spend one budget, indistinguishable
pooled -U $alice -d shared_login -c "SELECT ciam_privacy.dp_count(0.2) >= 0 FROM pool_data" >/dev/null
pooled -U $bob -d shared_login -c "SELECT ciam_privacy.dp_count(0.2) >= 0 FROM pool_data" >/dev/null
check "shared login role" "$(pooled -U $alice -d shared_login -c 'SELECT session_user')" $shared
check "shared role charged for both" "$(spent $shared)" 400000000
check "alice's budget not charged through the shared login" "$(spent $alice)" 600000000
check "ledger rows of the shared role, under its own name" \
    "$(primary -c "SELECT count(*) || ' ' || string_agg(DISTINCT session_user_name, ',') FROM ciam_privacy.ledger WHERE role = '$shared'::regrole AND event = 'released'")" \
    "2 $shared"
exit $status
