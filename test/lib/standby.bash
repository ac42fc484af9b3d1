# Helpers of the tests that run a streaming hot standby of the test cluster
# (sourced, not run as a test). The caller sets standby_port, then sources
# this file. Needs CIAM_PGDATA, PGHOST and PGPORT of the primary, which
# scripts/test.sh sets. The standby lives in tmp/standby-PORT and listens
# only on a Unix socket there.

: "${CIAM_PGDATA:?set CIAM_PGDATA to the data directory of the test cluster}"
pgbin=${CIAM_PGBIN:-/usr/lib/postgresql/15/bin}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
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

check() {
    local what=$1 got=$2 expected=$3
    if [ "$got" = "$expected" ]; then
        echo "ok: $what"
    else
        echo "FAIL: $what: got '$got', expected '$expected'"
        status=1
    fi
}

# Run a DP query of epsilon $1 on the standby as role $2 over table $3, and
# print "released" or the first line of the error.
standby_dp_query() {
    standby -U "$2" -d "$db" \
        -c "SELECT 'released' FROM $3 HAVING ciam_privacy.dp_count($1) > -1" 2>&1 |
        sed -n '1{s/^psql:[^E]*ERROR: */ERROR: /;p}'
}

# Wait until the standby has replayed the primary's WAL up to now.
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

# Make the standby with pg_basebackup, add the lines on standard input to
# its postgresql.conf, start it and wait until it has replayed.
start_standby() {
    rm -rf "$dir"
    mkdir -p "$dir/socket"
    chown -R postgres:postgres "$dir"
    chmod 700 "$dir/socket"
    as_postgres "$pgbin/pg_basebackup" -h "$PGHOST" -p "$PGPORT" -U postgres \
        -D "$dir/data" -R -X stream --checkpoint=fast
    {
        echo "port = $standby_port"
        echo "unix_socket_directories = '$dir/socket'"
        echo "hot_standby = on"
        cat
    } >>"$dir/data/postgresql.conf"
    as_postgres "$pgbin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w start >/dev/null
    check "server is a standby" "$(standby -d postgres -c 'SELECT pg_is_in_recovery()')" t
    wait_replay
}
