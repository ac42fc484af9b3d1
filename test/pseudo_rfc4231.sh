#!/usr/bin/env bash
# The HMAC-SHA256 test vectors of RFC 4231 (section 4), computed by
# pseudonymize(bytea, key) under keys imported with import_key() from
# server-side files, so that no key is typed into SQL. Also checks that
# import_key() rejects a file that group or others can read, a malformed
# file and a caller who is not a superuser. Runs on the test cluster.
set -euo pipefail

: "${PGDATABASE:?run from scripts/test.sh, which sets PGDATABASE}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
chown postgres "$work"
chmod 700 "$work"
failures=0

fail() {
    echo "FAIL: $*"
    failures=$((failures + 1))
}

# Write a key file as the postgres user, readable by that user only.
write_key_file() {
    local path=$1 hex=$2
    printf '%s\n' "$hex" | runuser -u postgres -- sh -c "umask 077 && cat >'$path'"
}

repeat_hex() {
    local byte=$1 count=$2 out="" i
    for ((i = 0; i < count; i++)); do out+=$byte; done
    printf '%s' "$out"
}

text_hex() {
    printf '%s' "$1" | od -An -v -tx1 | tr -d ' \n'
}

psql -X -q -v ON_ERROR_STOP=1 -c "SET client_min_messages = warning" \
    -c "SELECT ciam_privacy.destroy_key(key_name) FROM (SELECT DISTINCT key_name FROM ciam_privacy.pseudonym_key WHERE key_name LIKE 'rfc4231_%') AS k" >/dev/null

# Test case: key (hex), data (hex), expected HMAC-SHA256 (hex; test case 5
# gives only the first 128 bits)
cases=(
    "1|$(repeat_hex 0b 20)|$(text_hex 'Hi There')|b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
    "2|$(text_hex Jefe)|$(text_hex 'what do ya want for nothing?')|5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    "3|$(repeat_hex aa 20)|$(repeat_hex dd 50)|773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"
    "4|0102030405060708090a0b0c0d0e0f10111213141516171819|$(repeat_hex cd 50)|82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"
    "5|$(repeat_hex 0c 20)|$(text_hex 'Test With Truncation')|a3b6167473100ee06e0c796c2955552b"
    "6|$(repeat_hex aa 131)|$(text_hex 'Test Using Larger Than Block-Size Key - Hash Key First')|60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
    "7|$(repeat_hex aa 131)|$(text_hex 'This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.')|9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"
)

for case in "${cases[@]}"; do
    IFS='|' read -r number key data expected <<<"$case"
    write_key_file "$work/case$number.key" "$key"
    # The short keys of the RFC draw a warning; it goes to stderr
    version=$(psql -X -At -v ON_ERROR_STOP=1 \
        -c "SELECT ciam_privacy.import_key('rfc4231_$number', '$work/case$number.key')" 2>/dev/null)
    pseudonym=$(psql -X -At -v ON_ERROR_STOP=1 \
        -c "SELECT ciam_privacy.pseudonymize('\\x$data'::bytea, 'rfc4231_$number')")
    digest=${pseudonym#v1:}
    if [ "$version" != 1 ] || [ "${pseudonym:0:3}" != "v1:" ] || [ ${#digest} -ne 64 ]; then
        fail "test case $number: unexpected version $version or pseudonym format $pseudonym"
    elif [ "${digest:0:${#expected}}" != "$expected" ]; then
        fail "test case $number: got $digest, RFC 4231 gives $expected"
    else
        echo "ok: RFC 4231 test case $number"
    fi
done

# Every key was wrapped, so the table contains none of the key bytes in hex
for case in "${cases[@]}"; do
    IFS='|' read -r number key _ _ <<<"$case"
    found=$(psql -X -At -c "SELECT count(*) FROM ciam_privacy.pseudonym_key
        WHERE position('\\x$key'::bytea IN wrapped_key) > 0
           OR encode(wrapped_key, 'hex') LIKE '%$key%'")
    [ "$found" = 0 ] || fail "test case $number: the stored row contains the key bytes"
done

# A key file that group or others can read is rejected
write_key_file "$work/open.key" "$(repeat_hex 0b 32)"
chmod 644 "$work/open.key"
output=$(psql -X -At -c "SELECT ciam_privacy.import_key('rfc4231_open', '$work/open.key')" 2>&1 || true)
grep -q 'is accessible by group or others' <<<"$output" ||
    fail "a world-readable key file was not rejected: $output"

# Malformed files: an odd number of digits, a character that is not a digit
write_key_file "$work/odd.key" "abc"
output=$(psql -X -At -c "SELECT ciam_privacy.import_key('rfc4231_odd', '$work/odd.key')" 2>&1 || true)
grep -q 'invalid key file' <<<"$output" || fail "an odd-length key file was not rejected: $output"
write_key_file "$work/bad.key" "0b0b0bzz"
output=$(psql -X -At -c "SELECT ciam_privacy.import_key('rfc4231_bad', '$work/bad.key')" 2>&1 || true)
grep -q 'character 7 is not a hexadecimal digit' <<<"$output" ||
    fail "a key file with a non-hexadecimal character was not rejected: $output"
if grep -q 'zz' <<<"$output"; then
    fail "the error message quotes the key file's content"
fi

# Only superusers import, even when granted EXECUTE
psql -X -q -v ON_ERROR_STOP=1 <<SQL
SET client_min_messages = warning;
DROP ROLE IF EXISTS regress_key_importer;
CREATE ROLE regress_key_importer LOGIN;
GRANT EXECUTE ON FUNCTION ciam_privacy.import_key(text, text),
    ciam_privacy.add_key_version(text, text),
    ciam_privacy.wrap_key_file(text, integer, text) TO regress_key_importer;
GRANT ALL ON ciam_privacy.pseudonym_key TO regress_key_importer;
SQL
output=$(psql -X -At -U regress_key_importer \
    -c "SELECT ciam_privacy.import_key('rfc4231_user', '$work/case1.key')" 2>&1 || true)
grep -q 'permission denied to import a key from a file' <<<"$output" ||
    fail "a non-superuser imported a key: $output"

psql -X -q -v ON_ERROR_STOP=1 <<'SQL'
SET client_min_messages = warning;
SELECT ciam_privacy.destroy_key(key_name)
FROM (SELECT DISTINCT key_name FROM ciam_privacy.pseudonym_key
      WHERE key_name LIKE 'rfc4231_%') AS k \g /dev/null
REVOKE ALL ON ciam_privacy.pseudonym_key FROM regress_key_importer;
REVOKE ALL ON FUNCTION ciam_privacy.import_key(text, text),
    ciam_privacy.add_key_version(text, text),
    ciam_privacy.wrap_key_file(text, integer, text) FROM regress_key_importer;
DROP ROLE regress_key_importer;
SQL

[ "$failures" -eq 0 ]
