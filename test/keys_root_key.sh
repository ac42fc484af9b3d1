#!/usr/bin/env bash
# The root key as the postmaster reads it. A missing, malformed, too open
# or foreign root key, a failing command, or none at all must leave the
# key functions failing with a clear error. The server log and errors must
# never show the root key. A command that prints the right root key
# must work like the file. Statement logging and pg_stat_statements must
# never record a key. Starts its own cluster on CIAM_TEST_PORT + 5 and
# restarts it once per case.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/cluster.sh
source "$here/scripts/cluster.sh"
port=$(( ${CIAM_TEST_PORT:-55433} + 5 ))
name=keys-root
cluster_start "$name" "$port"
trap 'cluster_stop "$name"' EXIT
export PGDATABASE=postgres
dir=$(cluster_dir "$name")
conf="$dir/data/postgresql.conf"
root_hex=$(tr -d '\n' <"$dir/root.key")
failures=0

fail() {
    echo "FAIL: $*"
    failures=$((failures + 1))
}

# Restart with the root key settings given as arguments (lines of
# postgresql.conf); the last setting of a name wins.
restart_with() {
    local line
    for line in "$@"; do
        echo "$line" >>"$conf"
    done
    (cd / && runuser -u postgres -- "$CIAM_PGBIN/pg_ctl" -D "$dir/data" -m fast -w restart \
        -l "$dir/server.log" >/dev/null)
}

# Write a root key file as postgres with the given mode and content.
write_root_file() {
    local path=$1 mode=$2 content=$3
    printf '%s' "$content" | runuser -u postgres -- sh -c "umask 077 && cat >'$path'"
    chmod "$mode" "$path"
}

# Run SQL as the superuser; print its output and errors.
as_superuser() {
    psql -X -At -c "$1" 2>&1 || true
}

psql -X -q -v ON_ERROR_STOP=1 <<'SQL'
CREATE EXTENSION ciam_privacy;
SELECT ciam_privacy.create_key('root_test') \g /dev/null
CREATE ROLE regress_root_user LOGIN;
GRANT USAGE ON SCHEMA ciam_privacy TO regress_root_user;
SELECT ciam_privacy.grant_key('root_test', 'regress_root_user') \g /dev/null
SQL
reference=$(as_superuser "SELECT ciam_privacy.pseudonymize('alice'::text, 'root_test')")
[[ $reference == v1:* ]] || fail "no pseudonym with the original root key: $reference"

# Non-superusers cannot read the settings
output=$(psql -X -At -U regress_root_user -c "SHOW ciam_privacy.root_key_file" 2>&1 || true)
grep -q 'must be superuser' <<<"$output" || fail "a non-superuser read root_key_file: $output"
output=$(psql -X -At -U regress_root_user -c "SELECT current_setting('ciam_privacy.root_key_command')" 2>&1 || true)
grep -q 'must be superuser' <<<"$output" || fail "a non-superuser read root_key_command: $output"
output=$(psql -X -At -U regress_root_user -c "SELECT ciam_privacy.root_key_status()" 2>&1 || true)
grep -q 'permission denied' <<<"$output" || fail "a non-superuser called root_key_status(): $output"

# Each case: the settings, then the text the superuser's error must contain
check_case() {
    local label=$1 expected=$2
    shift 2
    restart_with "$@"
    local output
    output=$(as_superuser "SELECT ciam_privacy.pseudonymize('alice'::text, 'root_test')")
    if ! grep -q 'no root key is loaded' <<<"$output" || ! grep -qF "$expected" <<<"$output"; then
        fail "$label: expected an error with \"$expected\", got: $output"
    else
        echo "ok: $label"
    fi
    output=$(as_superuser "SELECT ciam_privacy.create_key('root_test_new')")
    grep -q 'no root key is loaded' <<<"$output" || fail "$label: create_key() did not fail: $output"
    # Other roles learn that the root key is missing, not where it lives
    output=$(psql -X -At -U regress_root_user \
        -c "SELECT ciam_privacy.pseudonymize('alice'::text, 'root_test')" 2>&1 || true)
    grep -q 'no root key is loaded' <<<"$output" || fail "$label: no error for a granted role: $output"
    if grep -qF "$dir" <<<"$output"; then
        fail "$label: the error shows a non-superuser the root key's path"
    fi
    grep -qF "$expected" <<<"$(as_superuser "SELECT problem FROM ciam_privacy.root_key_status()")" ||
        fail "$label: root_key_status() does not give the reason"
}

check_case "missing file" 'could not open root key file' \
    "ciam_privacy.root_key_file = '$dir/absent.key'"

write_root_file "$dir/short.key" 600 "${root_hex:0:63}"
check_case "63 digits" 'must contain 64 hexadecimal digits' \
    "ciam_privacy.root_key_file = '$dir/short.key'"

write_root_file "$dir/bad.key" 600 "${root_hex:0:10}xy${root_hex:12}"
check_case "a non-hexadecimal character" 'character 11 is not a hexadecimal digit' \
    "ciam_privacy.root_key_file = '$dir/bad.key'"

write_root_file "$dir/two_newlines.key" 600 "$root_hex"$'\n\n'
check_case "two newlines" 'must contain 64 hexadecimal digits' \
    "ciam_privacy.root_key_file = '$dir/two_newlines.key'"

write_root_file "$dir/open.key" 640 "$root_hex"
check_case "group-readable file" 'is accessible by group or others' \
    "ciam_privacy.root_key_file = '$dir/open.key'"

check_case "failing command" 'ciam_privacy.root_key_command failed' \
    "ciam_privacy.root_key_file = ''" \
    "ciam_privacy.root_key_command = 'exit 3'"

check_case "both settings" 'set only one of them' \
    "ciam_privacy.root_key_file = '$dir/root.key'" \
    "ciam_privacy.root_key_command = 'cat $dir/root.key'"

check_case "nothing configured" 'neither ciam_privacy.root_key_file nor' \
    "ciam_privacy.root_key_file = ''" \
    "ciam_privacy.root_key_command = ''"

# A command printing the right root key works like the file (no newline here)
restart_with "ciam_privacy.root_key_command = 'printf %s $root_hex'"
output=$(as_superuser "SELECT ciam_privacy.pseudonymize('alice'::text, 'root_test')")
[ "$output" = "$reference" ] || fail "the root key command gives other pseudonyms: $output"

# Another root key cannot unwrap the keys, and the error names that cause
other_hex=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
write_root_file "$dir/other.key" 600 "$other_hex"
restart_with "ciam_privacy.root_key_command = ''" "ciam_privacy.root_key_file = '$dir/other.key'"
output=$(as_superuser "SELECT ciam_privacy.pseudonymize('alice'::text, 'root_test')")
grep -q 'was wrapped under another root key' <<<"$output" ||
    fail "another root key: expected a clear error, got: $output"

# Back to the original root key: the same pseudonym again
restart_with "ciam_privacy.root_key_file = '$dir/root.key'"
output=$(as_superuser "SELECT ciam_privacy.pseudonymize('alice'::text, 'root_test')")
[ "$output" = "$reference" ] || fail "the original root key gives other pseudonyms: $output"

# Without the preload, a backend that loads the library has no root key
restart_with "shared_preload_libraries = ''"
output=$(as_superuser "SELECT ciam_privacy.pseudonymize('alice'::text, 'root_test')")
if ! grep -q 'no root key is loaded' <<<"$output" ||
    ! grep -q 'not loaded through shared_preload_libraries' <<<"$output"; then
    fail "without the preload: expected a clear error, got: $output"
fi
restart_with "shared_preload_libraries = 'ciam_privacy'"

# Statement logging and pg_stat_statements never see a key: an imported
# key (known to the test) and generated ones go through the functions
import_hex=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
write_root_file "$dir/import.key" 600 "$import_hex"
restart_with "shared_preload_libraries = 'ciam_privacy, pg_stat_statements'" \
    "log_statement = 'all'" "log_min_messages = warning"
psql -X -q -v ON_ERROR_STOP=1 <<SQL >/dev/null 2>&1
CREATE EXTENSION pg_stat_statements;
SELECT ciam_privacy.import_key('statements_imported', '$dir/import.key');
SELECT ciam_privacy.create_key('statements_generated');
SELECT ciam_privacy.rotate_key('statements_generated');
SELECT ciam_privacy.pseudonymize('alice'::text, 'statements_imported'),
       ciam_privacy.pseudonymize(42, 'statements_generated');
SQL
statements=$(psql -X -At -c "SELECT string_agg(query, E'\n') FROM pg_stat_statements")
grep -q 'import_key' <<<"$statements" || fail "pg_stat_statements did not record the import"
if grep -qiF "$import_hex" <<<"$statements" || grep -qiE '[0-9a-f]{64}' <<<"$statements"; then
    fail "pg_stat_statements contains key material"
fi
grep -q 'statement: SELECT ciam_privacy.import_key' "$dir/server.log" ||
    fail "log_statement did not log the import"
if grep -qiF "$import_hex" "$dir/server.log"; then
    fail "the server log contains the imported key"
fi
restart_with "shared_preload_libraries = 'ciam_privacy'" "log_statement = 'none'"

# The server log names the problems but never a root key
grep -q 'no root key loaded' "$dir/server.log" || fail "the server log does not report the missing root key"
if grep -qiF "$root_hex" "$dir/server.log" || grep -qiF "$other_hex" "$dir/server.log" ||
    grep -qiF "${root_hex:0:16}" "$dir/server.log"; then
    fail "the server log contains a root key"
fi

[ "$failures" -eq 0 ]
