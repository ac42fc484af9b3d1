#!/usr/bin/env bash
# Root key files that are not regular files. open() of a FIFO waits for a
# writer, so a FIFO named as the root key file must not block the
# postmaster at start, nor import_key() a backend. A FIFO, a directory and
# a device are rejected, the server starts, and the key functions fail with
# the reason. Starts its own cluster on CIAM_TEST_PORT + 7 and restarts it
# once per case.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/cluster.sh
source "$here/scripts/cluster.sh"
port=$(( ${CIAM_TEST_PORT:-55433} + 7 ))
name=root-key-file
cluster_start "$name" "$port"
trap 'cluster_stop "$name"' EXIT
export PGDATABASE=postgres
dir=$(cluster_dir "$name")
conf="$dir/data/postgresql.conf"
failures=0

fail() {
    echo "FAIL: $*"
    failures=$((failures + 1))
}

# Restart with the given root key file. For a FIFO, a background writer
# tries for 5 seconds, after a 10-second wait, to open it and write a
# newline. That releases a postmaster blocked in open(), so the case fails
# without hanging the suite, and the writer leaves a marker file.
restart_with_file() {
    local path=$1 guard=
    echo "ciam_privacy.root_key_file = '$path'" >>"$conf"
    if [ -p "$path" ]; then
        rm -f "$dir/fifo_opened"
        (sleep 10
         if timeout 5 sh -c "echo >'$path'" 2>/dev/null; then
             touch "$dir/fifo_opened"
         fi) &
        guard=$!
    fi
    (cd / && runuser -u postgres -- "$CIAM_PGBIN/pg_ctl" -D "$dir/data" -m fast -w -t 60 \
        restart -l "$dir/server.log" >/dev/null 2>&1)
    local status=$?
    [ -n "$guard" ] && wait "$guard"
    return $status
}

psql -X -q -v ON_ERROR_STOP=1 -c "CREATE EXTENSION ciam_privacy"

check_file() {
    local label=$1 path=$2 expected=$3 output
    if ! restart_with_file "$path"; then
        fail "$label: the server did not start"
        return
    fi
    output=$(psql -X -At -c "SELECT ciam_privacy.create_key('file_test')" 2>&1 || true)
    if grep -q 'no root key is loaded' <<<"$output" && grep -qF "$expected" <<<"$output"; then
        echo "ok: $label"
    else
        fail "$label: expected an error with \"$expected\", got: $output"
    fi
}

runuser -u postgres -- mkfifo -m 600 "$dir/fifo.key"
check_file "FIFO" "$dir/fifo.key" 'is not a regular file'
[ ! -e "$dir/fifo_opened" ] || fail "FIFO: the postmaster blocked until a writer opened the FIFO"

# import_key() on the FIFO, from a server that has its root key: the
# backend must not block either. A writer afterwards releases a blocked one.
restart_with_file "$dir/root.key" || fail "the server did not start with its root key"
output=$(timeout 15 psql -X -At -c "SELECT ciam_privacy.import_key('fifo_import', '$dir/fifo.key')" \
    2>&1 || true)
timeout 2 sh -c "echo >'$dir/fifo.key'" 2>/dev/null && fail "import_key: the backend blocked on the FIFO"
grep -q 'is not a regular file' <<<"$output" ||
    fail "import_key: expected \"is not a regular file\", got: $output"

runuser -u postgres -- mkdir -m 700 "$dir/directory.key"
check_file "directory" "$dir/directory.key" 'is not a regular file'

check_file "character device" /dev/null 'is not a regular file'

# The original file still works after the cases above
restart_with_file "$dir/root.key" || fail "the server did not start with its root key"
output=$(psql -X -At -c "SELECT ciam_privacy.create_key('file_test')" 2>&1 || true)
[ "$output" = 1 ] || fail "the original root key file did not work: $output"

[ "$failures" -eq 0 ]
