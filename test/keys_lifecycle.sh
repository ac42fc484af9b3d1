#!/usr/bin/env bash
# Pseudonymization keys over their life, attacked from outside SQL:
#   - pseudonyms are stable across sessions and a server restart;
#   - a pg_dump contains no key material. It lacks the bytes of an imported
#     key and of the root key (in hexadecimal, either case, or raw), and no
#     32-byte window of the dump, raw or hex-decoded, is the generated key.
#     Each window is tried as an HMAC key against a known pseudonym;
#   - the dump restores into a database that computes the same pseudonyms;
#   - a destroyed version is gone from other backends once their
#     transaction ends, and after VACUUM FULL from the table file and
#     from later dumps.
# Runs on the test cluster and restarts it. Needs CIAM_PGDATA and
# CIAM_ROOT_KEY_FILE, set by cluster_start in scripts/cluster.sh.
set -euo pipefail

: "${CIAM_PGDATA:?run from scripts/test.sh, which sets CIAM_PGDATA}"
: "${CIAM_ROOT_KEY_FILE:?the test cluster must have a root key (scripts/cluster.sh)}"
pgbin=${CIAM_PGBIN:-/usr/lib/postgresql/15/bin}
db=keys_lifecycle
restored=keys_lifecycle_restored
work=$(mktemp -d)
chmod 700 "$work"
chown postgres "$work"
failures=0

fail() {
    echo "FAIL: $*"
    failures=$((failures + 1))
}

cleanup() {
    exec 3>&- 2>/dev/null || true
    [ -n "${holder:-}" ] && kill "$holder" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

q() {
    psql -X -At -v ON_ERROR_STOP=1 -d "$1" -c "$2"
}

# Does file $1 contain the bytes written in hexadecimal in $2? The file is
# compared as one line of hexadecimal digits; a match at an odd offset can
# only make the test fail, never pass.
file_contains_hex_bytes() {
    local count
    # grep -c reads all its input, so od never dies of SIGPIPE under pipefail
    count=$(od -An -v -tx1 "$1" | tr -d ' \n' | grep -ciF "$2" || true)
    [ "$count" != 0 ]
}

psql -X -q -v ON_ERROR_STOP=1 -d postgres \
    -c "SET client_min_messages = warning" \
    -c "DROP DATABASE IF EXISTS $db" -c "DROP DATABASE IF EXISTS $restored" \
    -c "CREATE DATABASE $db"
q "$db" "CREATE EXTENSION ciam_privacy" >/dev/null

# An imported key with bytes known to the test, and a generated one
imported_hex=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
printf '%s\n' "$imported_hex" | runuser -u postgres -- sh -c "umask 077 && cat >'$work/imported.key'"
q "$db" "SELECT ciam_privacy.import_key('lifecycle_imported', '$work/imported.key')" >/dev/null
q "$db" "SELECT ciam_privacy.create_key('lifecycle_generated')" >/dev/null
rm -f "$work/imported.key"
root_hex=$(tr -d '\n' <"$CIAM_ROOT_KEY_FILE")

pseudonyms_sql="SELECT string_agg(ciam_privacy.pseudonymize(v, k), ',' ORDER BY k, v)
    FROM unnest(ARRAY['lifecycle_imported', 'lifecycle_generated']) AS k,
         unnest(ARRAY['alice@example.com', '192.0.2.1', '']) AS v"

# Stability across sessions and a restart
first=$(q "$db" "$pseudonyms_sql")
second=$(q "$db" "$pseudonyms_sql")
[ -n "$first" ] && [ "$first" = "$second" ] || fail "pseudonyms changed between two sessions"
(cd / && runuser -u postgres -- "$pgbin/pg_ctl" -D "$CIAM_PGDATA" -m fast -w restart \
    -l "$CIAM_PGDATA/../server.log" >/dev/null)
after_restart=$(q "$db" "$pseudonyms_sql")
[ "$first" = "$after_restart" ] || fail "pseudonyms changed across a server restart"
echo "stable across sessions and a restart: $(tr ',' '\n' <<<"$first" | wc -l) pseudonyms"

# The imported key's pseudonym of '' as bytea is HMAC-SHA256(key, ''):
# compute it with pgcrypto, in a database of its own, to prove the test
# has the right bytes
psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "SET client_min_messages = warning" \
    -c "DROP DATABASE IF EXISTS keys_scan" -c "CREATE DATABASE keys_scan"
q keys_scan "CREATE EXTENSION pgcrypto" >/dev/null
expected_empty=$(q keys_scan "SELECT encode(hmac(''::bytea, '\\x$imported_hex'::bytea, 'sha256'), 'hex')")
got_empty=$(q "$db" "SELECT ciam_privacy.pseudonymize(''::bytea, 'lifecycle_imported')")
[ "$got_empty" = "v1:$expected_empty" ] ||
    fail "the imported key does not compute HMAC-SHA256 as pgcrypto does"

# The dump: no key bytes in any form
"$pgbin/pg_dump" -d "$db" -f "$work/dump.sql"
grep -q 'lifecycle_generated' "$work/dump.sql" || fail "the dump lacks the wrapped key rows"
for name in imported root; do
    hex_var=${name}_hex
    hex=${!hex_var}
    if grep -qiF "$hex" "$work/dump.sql"; then
        fail "the dump contains the $name key in hexadecimal"
    fi
    if file_contains_hex_bytes "$work/dump.sql" "$hex"; then
        fail "the dump contains the raw bytes of the $name key"
    fi
done

# Every 32-byte window of the dump, raw and hex-decoded, tried as the
# generated key: none reproduces its pseudonym of the empty bytea
target=$(q "$db" "SELECT substr(ciam_privacy.pseudonymize(''::bytea, 'lifecycle_generated'), 4)")
chown postgres "$work/dump.sql"
windows_matching=$(q keys_scan "
    WITH dump AS (SELECT pg_read_binary_file('$work/dump.sql') AS bytes),
    blobs AS (
        SELECT bytes AS blob FROM dump
        UNION ALL
        SELECT decode(substr(m[1], 1, length(m[1]) / 2 * 2), 'hex')
        FROM dump, regexp_matches(convert_from(bytes, 'UTF8'), '([0-9a-fA-F]{64,})', 'g') AS m
    )
    SELECT count(*) FROM blobs, generate_series(1, length(blob) - 31) AS i
    WHERE encode(hmac(''::bytea, substr(blob, i, 32), 'sha256'), 'hex') = '$target'")
windows_tried=$(q keys_scan "SELECT length(pg_read_binary_file('$work/dump.sql'))")
[ "$windows_matching" = 0 ] || fail "a window of the dump is the generated key"
# The scan itself must be able to find a key: plant the imported key
planted=$(q keys_scan "SELECT count(*) FROM (SELECT '\\x00ff$imported_hex'::bytea AS blob) AS b,
    generate_series(1, length(blob) - 31) AS i
    WHERE 'v1:' || encode(hmac(''::bytea, substr(blob, i, 32), 'sha256'), 'hex') = '$got_empty'")
[ "$planted" = 1 ] || fail "the window scan does not find a planted key"
echo "dump of $windows_tried bytes: no key material found"

# A restore gives the same pseudonyms under the same root key
psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE $restored"
psql -X -q -v ON_ERROR_STOP=1 -d "$restored" -f "$work/dump.sql" >/dev/null 2>"$work/restore.err" ||
    { cat "$work/restore.err"; fail "the dump does not restore"; }
[ "$(q "$restored" "$pseudonyms_sql")" = "$first" ] ||
    fail "the restored database computes other pseudonyms"

# Destruction while another backend has the key in an open transaction
mkfifo "$work/holder.in"
psql -X -At -d "$db" <"$work/holder.in" >"$work/holder.out" 2>&1 &
holder=$!
exec 3>"$work/holder.in"
echo "BEGIN; SELECT 'held ' || ciam_privacy.pseudonymize('x'::text, 'lifecycle_imported', 1);" >&3
for ((i = 0; i < 100; i++)); do
    grep -q '^held v1:' "$work/holder.out" && break
    sleep 0.1
done
grep -q '^held v1:' "$work/holder.out" || fail "the holding session did not start"
wrapped_hex=$(q "$db" "SELECT encode(wrapped_key, 'hex') FROM ciam_privacy.pseudonym_key
    WHERE key_name = 'lifecycle_imported' AND version = 1")
q "$db" "SELECT ciam_privacy.destroy_key_version('lifecycle_imported', 1)" >/dev/null 2>&1
echo "SELECT 'same transaction ' || ciam_privacy.pseudonymize('x'::text, 'lifecycle_imported', 1);" >&3
echo "COMMIT;" >&3
echo "SELECT 'next transaction ' || ciam_privacy.pseudonymize('x'::text, 'lifecycle_imported', 1);" >&3
exec 3>&-
wait "$holder" || true
holder=
cat "$work/holder.out"
grep -q '^same transaction v1:' "$work/holder.out" ||
    fail "the open transaction lost the key it had unwrapped"
grep -q 'version 1 of pseudonymization key "lifecycle_imported" does not exist' "$work/holder.out" ||
    fail "the destroyed version was still usable in a later transaction"

# After VACUUM FULL, neither the table file nor a new dump contains the row
q "$db" "VACUUM FULL ciam_privacy.pseudonym_key" >/dev/null
q "$db" "CHECKPOINT" >/dev/null
table_file="$CIAM_PGDATA/$(q "$db" "SELECT pg_relation_filepath('ciam_privacy.pseudonym_key')")"
if file_contains_hex_bytes "$table_file" "$wrapped_hex"; then
    fail "the table file still contains the destroyed wrapped key after VACUUM FULL"
fi
"$pgbin/pg_dump" -d "$db" -f "$work/dump2.sql"
if grep -qiF "$wrapped_hex" "$work/dump2.sql"; then
    fail "a dump after destruction still contains the destroyed wrapped key"
fi
q "$db" "SELECT ciam_privacy.pseudonymize('x'::text, 'lifecycle_generated') ~ '^v1:'" | grep -qx t ||
    fail "the other key stopped working after the destruction"

psql -X -q -d postgres -c "DROP DATABASE $db" -c "DROP DATABASE $restored" \
    -c "DROP DATABASE keys_scan"
[ "$failures" -eq 0 ]
