#!/usr/bin/env bash
# Start and stop a private PostgreSQL 15 cluster inside the project, owned by
# the postgres user, reachable only on a Unix socket in its own folder.
# Source this file, then call cluster_start NAME PORT [PRELOAD] and
# cluster_stop NAME. PRELOAD is the shared_preload_libraries value, by
# default ciam_privacy.
# cluster_start exports PGHOST, PGPORT and PGUSER for psql and pg_regress,
# and CIAM_PGDATA, the data directory, for tests that restart the server.
#
# Each cluster gets a fresh random root key for the pseudonymization keys,
# in NAME's folder next to (not inside) the data directory, readable by the
# postgres user only: ciam_privacy.root_key_file names it, and
# CIAM_ROOT_KEY_FILE is exported with its path. Set CIAM_ROOT_KEY=0 to
# start a cluster without one.

# CIAM_PGBIN may name another copy of the PostgreSQL 15 binaries (for
# example one per working tree, so that parallel builds install apart).
export CIAM_PGBIN=${CIAM_PGBIN:-/usr/lib/postgresql/15/bin}
CIAM_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

cluster_dir() {
    echo "$CIAM_ROOT/tmp/cluster-$1"
}

# Run a command as the postgres user, from a folder that user can read.
as_postgres() {
    (cd / && runuser -u postgres -- "$@")
}

cluster_start() {
    local name=$1 port=$2 preload=${3-ciam_privacy}
    local dir
    dir=$(cluster_dir "$name")

    if ! as_postgres test -x "$CIAM_ROOT"; then
        echo "cluster.sh: the postgres user cannot enter $CIAM_ROOT;" \
             "clone the project under a folder that other users can traverse" >&2
        return 1
    fi
    mkdir -p "$CIAM_ROOT/tmp"
    chmod 755 "$CIAM_ROOT/tmp"
    if [ -f "$dir/data/postmaster.pid" ]; then
        cluster_stop "$name"
    fi
    rm -rf "$dir"
    mkdir -p "$dir/socket"
    chown -R postgres:postgres "$dir"
    chmod 700 "$dir/socket"

    as_postgres "$CIAM_PGBIN/initdb" -D "$dir/data" -U postgres -A trust \
        --locale=C.UTF-8 --encoding=UTF8 --no-instructions >"$dir/initdb.log" 2>&1 || {
        cat "$dir/initdb.log" >&2
        return 1
    }
    local root_key_setting=""
    unset CIAM_ROOT_KEY_FILE
    if [ "${CIAM_ROOT_KEY:-1}" != 0 ]; then
        # 32 bytes from the kernel's generator, as 64 hexadecimal digits
        od -An -N32 -tx1 /dev/urandom | tr -d ' \n' |
            as_postgres sh -c "umask 077 && cat >'$dir/root.key'" || return 1
        root_key_setting="ciam_privacy.root_key_file = '$dir/root.key'"
        export CIAM_ROOT_KEY_FILE="$dir/root.key"
    fi
    cat >>"$dir/data/postgresql.conf" <<CONF
listen_addresses = ''
port = $port
unix_socket_directories = '$dir/socket'
unix_socket_permissions = 0700
shared_preload_libraries = '$preload'
max_worker_processes = 8
max_parallel_workers_per_gather = 2
log_min_messages = warning
$root_key_setting
CONF
    as_postgres "$CIAM_PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
        start >/dev/null || {
        cat "$dir/server.log" >&2
        return 1
    }
    export PGHOST="$dir/socket" PGPORT="$port" PGUSER=postgres CIAM_PGDATA="$dir/data"
}

cluster_stop() {
    local dir
    dir=$(cluster_dir "$1")
    if [ -f "$dir/data/postmaster.pid" ]; then
        as_postgres "$CIAM_PGBIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null || true
    fi
}
