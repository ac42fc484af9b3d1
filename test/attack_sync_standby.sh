#!/usr/bin/env bash
# With synchronous replication, a failover to the synchronous standby must
# not give an analyst back the epsilon of a result that was released. The
# charge is flushed locally before the result is computed, but a commit is
# what waits for the standby, and a DP query commits nothing it could wait
# for. The analyst can also set synchronous_commit = local for the session.
#
# A primary with one synchronous standby: the standby stops, the analyst
# runs a DP query with synchronous_commit = local and statement_timeout,
# the primary crashes, and the standby is promoted. Every result the
# analyst received must be charged on the promoted server.
# Runs its own two clusters on the test port + 13 and + 14.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/cluster.sh
source "$root/scripts/cluster.sh"
primary_port=$(( ${CIAM_TEST_PORT:-55433} + 13 ))
standby_port=$(( ${CIAM_TEST_PORT:-55433} + 14 ))
role=regress_attack_syncrep
status=0

cluster_start attack_syncrep "$primary_port"
primary_dir=$(cluster_dir attack_syncrep)
standby_dir=$root/tmp/standby-$standby_port
export PGDATABASE=postgres

primary() { psql -X -q -A -t -v ON_ERROR_STOP=1 "$@"; }
standby() { psql -X -q -A -t -h "$standby_dir/socket" -p "$standby_port" "$@"; }
pg_ctl_as_postgres() { as_postgres "$CIAM_PGBIN/pg_ctl" "$@"; }
cleanup() {
    for data in "$standby_dir/data" "$primary_dir/data"; do
        if [ -f "$data/postmaster.pid" ]; then
            pg_ctl_as_postgres -D "$data" -m immediate -w stop >/dev/null 2>&1 || true
        fi
    done
    rm -rf "$standby_dir" "$primary_dir"
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

primary <<SQL
SET client_min_messages = warning;
CREATE EXTENSION ciam_privacy;
CREATE ROLE $role LOGIN;
CREATE TABLE syncrep_data AS SELECT g FROM generate_series(1, 100) g;
GRANT SELECT ON syncrep_data TO $role;
SELECT ciam_privacy.set_budget('$role', 10) \g /dev/null
SQL

mkdir -p "$standby_dir/socket"
chown -R postgres:postgres "$standby_dir"
chmod 700 "$standby_dir/socket"
as_postgres "$CIAM_PGBIN/pg_basebackup" -h "$PGHOST" -p "$primary_port" -U postgres \
    -D "$standby_dir/data" -R -X stream --checkpoint=fast
cat >>"$standby_dir/data/postgresql.conf" <<CONF
port = $standby_port
unix_socket_directories = '$standby_dir/socket'
hot_standby = on
CONF
sed -i "s/^primary_conninfo = '/primary_conninfo = 'application_name=syncrep_standby /" \
    "$standby_dir/data/postgresql.auto.conf"
pg_ctl_as_postgres -D "$standby_dir/data" -l "$standby_dir/server.log" -w start >/dev/null
primary -c "ALTER SYSTEM SET synchronous_standby_names = 'syncrep_standby'" \
    -c "SELECT pg_reload_conf()" >/dev/null
for ((i = 0; i < 100; i++)); do
    state=$(primary -c "SELECT sync_state FROM pg_stat_replication WHERE application_name = 'syncrep_standby'")
    [ "$state" = sync ] && break
    sleep 0.1
done
check "the standby is synchronous" "$state" sync

query="SELECT 'released' FROM syncrep_data HAVING ciam_privacy.dp_count(0.5) > -1000"
received=0
out=$(primary -U "$role" -c "$query" 2>&1 || true)
[ "$out" = released ] && received=$((received + 1))
check "a DP query with the standby up" "$out" released

# The standby stops; commits now wait for it. The analyst's DP query must
# not release its result before the standby has its charge.
pg_ctl_as_postgres -D "$standby_dir/data" -m fast -w stop >/dev/null
out=$(primary -U "$role" -c "SET synchronous_commit = local" \
    -c "SET statement_timeout = '2s'" -c "$query" 2>&1 || true)
if [ "$out" = released ]; then
    received=$((received + 1))
fi
echo "the analyst got: $out"
check "no release while the synchronous standby is away" \
    "$(echo "$out" | grep -c '^released$' || true)" 0

# Failover: the primary crashes, the standby comes back and is promoted
pg_ctl_as_postgres -D "$primary_dir/data" -m immediate -w stop >/dev/null
pg_ctl_as_postgres -D "$standby_dir/data" -l "$standby_dir/server.log" -w start >/dev/null
pg_ctl_as_postgres -D "$standby_dir/data" -w promote >/dev/null
charged=$(standby -c "SELECT epsilon_spent_nanos / 500000000 FROM ciam_privacy.budget
                      WHERE role = '$role'::regrole")
released_rows=$(standby -c "SELECT count(*) FROM ciam_privacy.ledger
                            WHERE role = '$role'::regrole AND event = 'released'")
echo "results received $received, charges on the promoted standby $charged, ledger rows $released_rows"
if [ "$charged" -lt "$received" ] || [ "$released_rows" -lt "$received" ]; then
    echo "FAIL: the promoted standby lost the charge of a released result"
    status=1
fi
exit $status
