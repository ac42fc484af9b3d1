#!/usr/bin/env bash
# Key custody: a root key file (64 hexadecimal characters and an optional
# newline, the format of ciam_privacy.root_key_file) is split among five
# custodians with threshold 3 and restored, by the SQL of the procedure in
# docs/shamir.md. The restored file must equal the original byte for byte
# (lowercase with a newline, the form `openssl rand -hex 32` writes), the
# key must survive zero bytes at both ends, two shares must fail the
# fingerprint check, and with log_statement = 'all' neither the key nor any
# share may reach the server log. Run by scripts/test.sh, which exports
# PGHOST, PGPORT, PGDATABASE and CIAM_PGDATA.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/cluster.sh
source "$here/scripts/cluster.sh"
server_log="$(dirname "$CIAM_PGDATA")/server.log"
vault=$(mktemp -d "$here/tmp/shamir_custody.XXXXXX")
chmod 700 "$vault"
chown postgres:postgres "$vault"
trap 'rm -rf "$vault"' EXIT

fail() {
    echo "FAIL: $*"
    exit 1
}

# psql as the superuser, with every statement sent to the server log
custody_psql() {
    PGOPTIONS="-c log_statement=all -c log_min_error_statement=error" \
        psql -X -q -At -v ON_ERROR_STOP=1 "$@"
}

# Split a key file into five shares (threshold 3): one hex line per share,
# then the key's SHA-256 fingerprint on the last line.
split_key() {
    custody_psql -v key_file="$1" <<'SQL'
COPY (
    SELECT encode(share, 'hex')
    FROM unnest(ciam_privacy.shamir_share(
             decode(substring(convert_from(pg_read_binary_file(:'key_file'), 'UTF8')
                              FROM '^([0-9a-fA-F]{64})\n?$'), 'hex'),
             3, 5)) AS share
) TO STDOUT;
SELECT encode(sha256(decode(substring(convert_from(pg_read_binary_file(:'key_file'), 'UTF8')
                                      FROM '^([0-9a-fA-F]{64})\n?$'), 'hex')), 'hex');
SQL
}

# Restore a key file from the shares on stdin (one hex line each); print
# the fingerprint of the restored key.
restore_key() {
    local restored=$1 shares
    shares=$(cat)
    custody_psql -v restored_file="$restored" <<SQL
SET log_error_verbosity = terse;
CREATE TEMP TABLE custody_share (share text);
COPY custody_share FROM STDIN;
$shares
\.
SELECT encode(sha256(ciam_privacy.shamir_combine(array_agg(decode(share, 'hex')))), 'hex')
FROM custody_share;
COPY (SELECT encode(ciam_privacy.shamir_combine(array_agg(decode(share, 'hex'))), 'hex')
      FROM custody_share) TO :'restored_file';
DROP TABLE custody_share;
SQL
}

check_round_trip() {
    local name=$1 key_hex=$2 ending=$3
    local key_file="$vault/$name.key" restored="$vault/$name.restored"
    local output shares fingerprint restored_fingerprint log_before

    printf '%s%b' "$key_hex" "$ending" >"$key_file"
    chown postgres:postgres "$key_file"
    chmod 600 "$key_file"
    log_before=$(wc -c <"$server_log")

    output=$(split_key "$key_file")
    shares=$(head -n 5 <<<"$output")
    fingerprint=$(tail -n 1 <<<"$output")
    [ "$(wc -l <<<"$output")" -eq 6 ] || fail "$name: the split printed $(wc -l <<<"$output") lines, not 6"
    [ "$(sort -u <<<"$shares" | wc -l)" -eq 5 ] || fail "$name: the five shares are not distinct"
    grep -qvE '^[0-9a-f]{66}$' <<<"$shares" && fail "$name: a share is not 33 bytes of hex"

    # COPY TO creates files with mode 0644, so the procedure creates the
    # file first with mode 0600, which COPY keeps
    install -m 600 -o postgres -g postgres /dev/null "$restored"
    # Three custodians, chosen at random, in random order
    restored_fingerprint=$(shuf -n 3 <<<"$shares" | restore_key "$restored")
    [ "$(stat -c '%a %U' "$restored")" = "600 postgres" ] ||
        fail "$name: the restored file has mode and owner $(stat -c '%a %U' "$restored")"
    [ "$restored_fingerprint" = "$fingerprint" ] || fail "$name: the restored key has another fingerprint"
    if [ -z "$ending" ] || [ "$key_hex" != "${key_hex,,}" ]; then
        # The restored file is lowercase with a newline: compare the keys
        [ "$(tr -d '\n' <"$restored")" = "${key_hex,,}" ] || fail "$name: the restored key differs"
    else
        cmp "$key_file" "$restored" || fail "$name: the restored file differs from the original"
    fi

    # Two shares rebuild some other key, which the fingerprint reveals
    [ "$(shuf -n 2 <<<"$shares" | restore_key "$vault/$name.wrong")" != "$fingerprint" ] ||
        fail "$name: two shares passed the fingerprint check"

    # Nothing secret in the server log: not the key, not a share
    new_log=$(tail -c +"$((log_before + 1))" "$server_log")
    grep -q 'pg_read_binary_file' <<<"$new_log" || fail "$name: log_statement did not log the split"
    grep -qiF "$key_hex" <<<"$new_log" && fail "$name: the key reached the server log"
    while read -r share; do
        grep -qF "$share" <<<"$new_log" && fail "$name: a share reached the server log"
    done <<<"$shares"
    echo "$name: restored, fingerprint ${fingerprint:0:16}..., nothing in the log"
}

random_hex() {
    od -An -tx1 -N"$1" /dev/urandom | tr -d ' \n'
}

check_round_trip canonical "$(random_hex 32)" '\n'
check_round_trip zero_ends "00$(random_hex 30)00" '\n'
check_round_trip no_newline "$(random_hex 32)" ''
check_round_trip uppercase "$(random_hex 32 | tr a-f A-F)" '\n'

# A file that is not a root key is rejected before anything is split
printf 'not a key\n' >"$vault/bad.key"
chown postgres:postgres "$vault/bad.key"
if output=$(split_key "$vault/bad.key" 2>&1); then
    fail "a malformed key file was split: $output"
fi
grep -q 'secret of shamir_share must not be null' <<<"$output" ||
    fail "unexpected error for a malformed key file: $output"
printf '%s\n\n' "$(random_hex 32)" >"$vault/two_newlines.key"
chown postgres:postgres "$vault/two_newlines.key"
if split_key "$vault/two_newlines.key" >/dev/null 2>&1; then
    fail "a key file with two newlines was split"
fi
echo "malformed key files rejected"
