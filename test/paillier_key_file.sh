#!/usr/bin/env bash
# Import of a Paillier private key from a server-side file: the checks on
# the caller, the path, the file's permissions and its contents, and that
# no error message contains the prime. Runs against the cluster of
# scripts/test.sh (PGHOST, PGPORT, PGDATABASE).
set -euo pipefail

work=$(mktemp -d)
drop_role() {
    psql -X -q -c "DROP OWNED BY paillier_file_admin" -c "DROP ROLE paillier_file_admin" >/dev/null 2>&1 || true
}
trap 'rm -rf "$work"; drop_role' EXIT
drop_role
chmod 700 "$work"
chown postgres "$work"

failures=0
# Run SQL from standard input, with psql variables set by the arguments.
# Print the error and its detail on one line, or "ok" if there was none.
attempt() {
    local output
    if output=$(psql -X -q -A -t -v ON_ERROR_STOP=1 "$@" 2>&1 >/dev/null); then
        echo ok
    else
        grep -E '^(ERROR|DETAIL)' <<<"$output" | tr '\n' ' ' || echo "$output"
    fi
}
expect() {
    local what=$1 got=$2 expected=$3
    if grep -q -F -e "$expected" <<<"$got"; then
        echo "ok: $what"
    else
        echo "FAIL: $what: got '$got', expected '$expected'"
        failures=$((failures + 1))
    fi
}
# Write a file as the server's user with the given mode
write_file() {
    printf '%s' "$2" | runuser -u postgres -- sh -c "umask 077 && cat >'$1'"
    chmod "$3" "$1"
}

psql -X -q -A -t -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
SELECT ciam_privacy.paillier_drop_key(name) FROM ciam_privacy.paillier_key WHERE name = 'key_file';
SELECT ciam_privacy.paillier_generate_key('key_file', 2048);
SQL
# Take the primes of a generated key, then forget its private part, so
# that the import below has something real to restore
p=$(psql -X -q -A -t -c "SELECT ciam_privacy.paillier_bytes_to_numeric(p) FROM ciam_privacy.paillier_private_key
                         JOIN ciam_privacy.paillier_key USING (fingerprint) WHERE name = 'key_file'")
q=$(psql -X -q -A -t -c "SELECT ciam_privacy.paillier_bytes_to_numeric(q) FROM ciam_privacy.paillier_private_key
                         JOIN ciam_privacy.paillier_key USING (fingerprint) WHERE name = 'key_file'")
psql -X -q -c "DELETE FROM ciam_privacy.paillier_private_key WHERE fingerprint =
               (SELECT fingerprint FROM ciam_privacy.paillier_key WHERE name = 'key_file')"
import_sql="SELECT ciam_privacy.paillier_import_private_key_file('key_file', :'path')"

write_file "$work/open.prime" "$p" 644
expect "a file readable by others is rejected" \
    "$(attempt -v path="$work/open.prime" <<<"$import_sql")" "allow access to its owner only"
write_file "$work/text.prime" "0x${p}" 600
expect "a file with anything but decimal digits is rejected" \
    "$(attempt -v path="$work/text.prime" <<<"$import_sql")" "must contain one decimal integer"
write_file "$work/two.prime" "$p $q" 600
expect "a file with two numbers is rejected" \
    "$(attempt -v path="$work/two.prime" <<<"$import_sql")" "must contain one decimal integer"
write_file "$work/empty.prime" "" 600
expect "an empty file is rejected" \
    "$(attempt -v path="$work/empty.prime" <<<"$import_sql")" "must contain one decimal integer"
write_file "$work/long.prime" "$(head -c 5000 /dev/zero | tr '\0' '7')" 600
expect "a file longer than any prime is rejected" \
    "$(attempt -v path="$work/long.prime" <<<"$import_sql")" "is longer than"
write_file "$work/wrong.prime" "$(psql -X -q -A -t -c "SELECT $p + 2")" 600
expect "a number that does not divide n is rejected" \
    "$(attempt -v path="$work/wrong.prime" <<<"$import_sql")" "p does not divide n"
expect "a missing file is rejected" \
    "$(attempt -v path="$work/missing.prime" <<<"$import_sql")" "could not open Paillier private key file"
expect "a directory is rejected" \
    "$(attempt -v path="$work" <<<"$import_sql")" "is not a regular file"
# A caller who passes the prime where the path belongs does not find it in
# the error, which the server logs
relative=$(attempt -v path="$p" <<<"$import_sql")
expect "a relative path is rejected" "$relative" "path is not absolute"
if grep -q -F "${p:0:32}" <<<"$relative"; then
    echo "FAIL: the error for a relative path contains the value passed"
    failures=$((failures + 1))
fi

# Only superusers read server files, even when granted EXECUTE
psql -X -q -c "CREATE ROLE paillier_file_admin" \
     -c "GRANT EXECUTE ON FUNCTION ciam_privacy.paillier_import_private_key_file(text, text) TO paillier_file_admin"
write_file "$work/good.prime" "$q" 600
expect "a non-superuser with EXECUTE is rejected" \
    "$(attempt -v path="$work/good.prime" <<<"SET ROLE paillier_file_admin; $import_sql")" \
    "permission denied to import a Paillier private key from a file"

# The other prime, with a trailing newline, restores the key
write_file "$work/good.prime" "$q
" 600
expect "q in decimal with a newline is accepted" "$(attempt -v path="$work/good.prime" <<<"$import_sql")" "ok"
expect "the imported key decrypts" \
    "$(psql -X -q -A -t -c "SELECT ciam_privacy.paillier_decrypt(ciam_privacy.paillier_encrypt(-17::bigint, 'key_file'), 'key_file')")" \
    "-17"
stored=$(psql -X -q -A -t -c "SELECT least(ciam_privacy.paillier_bytes_to_numeric(p), ciam_privacy.paillier_bytes_to_numeric(q))
                                     = least($p, $q)
                                 AND greatest(ciam_privacy.paillier_bytes_to_numeric(p), ciam_privacy.paillier_bytes_to_numeric(q))
                                     = greatest($p, $q)
                              FROM ciam_privacy.paillier_private_key JOIN ciam_privacy.paillier_key USING (fingerprint)
                              WHERE name = 'key_file'")
expect "the stored primes are p and q" "$stored" "t"

psql -X -q -A -t -c "SELECT ciam_privacy.paillier_drop_key('key_file')" >/dev/null
[ "$failures" -eq 0 ]
