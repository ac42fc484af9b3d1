#!/usr/bin/env bash
# Attack on the key custody procedure: shares must never reach the server
# log, not even when a custodian pastes a malformed line. COPY reports the
# line it could not read in the CONTEXT of its error, and the server logs
# errors by default. This test takes the restore statements from the
# procedure in docs/shamir.md. It feeds them lines with an extra column, a
# share followed by a tab and a name as a spreadsheet would paste it, and
# checks the server log for the shares. A well-formed restore by the same
# statements must still rebuild the key. Run by scripts/test.sh, which
# exports PGHOST, PGPORT, PGDATABASE and CIAM_PGDATA.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
server_log="$(dirname "$CIAM_PGDATA")/server.log"
vault=$(mktemp -d "$here/tmp/shamir_custody_log.XXXXXX")
chmod 700 "$vault"
chown postgres:postgres "$vault"
trap 'rm -rf "$vault"' EXIT

fail() {
    echo "FAIL: $*"
    exit 1
}

# The restore block of docs/shamir.md: the SQL code block that creates the
# table custody_share
restore_sql=$(awk '
    /^```sql$/ { in_block = 1; block = ""; next }
    /^```$/ { if (in_block && block ~ /CREATE TEMP TABLE custody_share/) { printf "%s", block; exit }
              in_block = 0; next }
    in_block { block = block $0 "\n" }' "$here/docs/shamir.md")
grep -q '^COPY custody_share FROM STDIN;$' <<<"$restore_sql" ||
    fail "docs/shamir.md has no restore block with 'COPY custody_share FROM STDIN;'"

# Run the restore block with these share lines pasted into its COPY and the
# key file path replaced, with every statement sent to the server log.
# Options: "bare" drops the block's SET log_... lines, for the control run
# that shows the log would catch a share. "copy-fails" makes the COPY fail
# and keeps going after errors, as an interactive psql does, so that the
# pasted lines arrive at the SQL prompt.
restore() {
    local lines=$1 key_file=$2 mode=${3-}
    local sql=$restore_sql on_error_stop=1
    if [ "$mode" = bare ]; then
        sql=$(grep -v '^SET log_' <<<"$sql")
    elif [ "$mode" = copy-fails ]; then
        sql=$(sed 's/^COPY custody_share FROM STDIN;$/COPY custody_share_missing FROM STDIN;/' <<<"$sql")
        on_error_stop=0
    fi
    # psql reading a script skips the data of a failed COPY; at a terminal
    # it does not, so the failing case runs psql on a terminal of script(1)
    local psql_command=(psql -X -q -At -v ON_ERROR_STOP=$on_error_stop)
    awk -v lines="$lines" -v key_file="$key_file" '
        { gsub("/etc/ciam_privacy/root.key", key_file); print }
        /^COPY custody_share(_missing)? FROM STDIN;$/ { print lines; print "\\." }
        END { print "\\q" }' <<<"$sql" |
        if [ "$mode" = copy-fails ]; then
            PGOPTIONS="-c log_statement=all -c log_min_error_statement=error" \
                script -q -e -c "${psql_command[*]}" /dev/null 2>&1
        else
            PGOPTIONS="-c log_statement=all -c log_min_error_statement=error" \
                "${psql_command[@]}" 2>&1
        fi
}

# Fail if any share of $shares appears in the server log after byte $1
check_log_free_of_shares() {
    local new_log
    new_log=$(tail -c +"$(($1 + 1))" "$server_log")
    while read -r share; do
        # Any 16 hexadecimal digits of a share are enough to recognise it
        for start in 1 17 33 49; do
            if grep -qF "${share:$start:16}" <<<"$new_log"; then
                fail "$2: a share reached the server log: $(grep -F "${share:$start:16}" <<<"$new_log" | head -1)"
            fi
        done
    done <<<"$shares"
}

key=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
shares=$(psql -X -q -At -v ON_ERROR_STOP=1 \
    -c "SELECT encode(share, 'hex') FROM unnest(ciam_privacy.shamir_share(decode('$key', 'hex'), 3, 5)) AS share")
[ "$(wc -l <<<"$shares")" -eq 5 ] || fail "shamir_share returned $(wc -l <<<"$shares") shares, not 5"

# The statements of the procedure rebuild the key from three good lines
restored="$vault/root.key"
install -m 600 -o postgres -g postgres /dev/null "$restored"
output=$(restore "$(head -n 3 <<<"$shares")" "$restored") ||
    fail "the documented restore failed on good shares: $output"
[ "$(cat "$restored")" = "$key" ] || fail "the documented restore wrote another key"
echo "documented restore: key rebuilt"

# Malformed pastes: each fails, and no share may reach the log
log_before=$(wc -c <"$server_log")
pasted=(
    "$(sed -n 1p <<<"$shares")	custodian Alice"
    "$(sed -n 2p <<<"$shares")
$(sed -n 3p <<<"$shares")	custodian Carol"
)
for lines in "${pasted[@]}"; do
    if output=$(restore "$lines" "$vault/unused.key"); then
        fail "a restore with a malformed line succeeded: $output"
    fi
    grep -q 'extra data after last expected column' <<<"$output" ||
        fail "unexpected error for a malformed line: $output"
done
check_log_free_of_shares "$log_before" "malformed paste"

# Control: without the block's SET log_... lines the same paste does put a
# share in the log, so the checks here can fail
log_before=$(wc -c <"$server_log")
restore "${pasted[0]}" "$vault/unused.key" bare >/dev/null || true
if (check_log_free_of_shares "$log_before" "control") >/dev/null; then
    fail "without the documented settings no share reached the log, so these checks prove nothing"
fi
echo "control: without the documented settings a malformed paste is logged"

# A COPY that fails leaves psql at the SQL prompt: the pasted shares are
# sent as statements, and their syntax errors quote them
log_before=$(wc -c <"$server_log")
output=$(restore "$(head -n 2 <<<"$shares")" "$vault/unused.key" copy-fails) || true
grep -q 'at or near' <<<"$output" ||
    fail "the shares pasted after a failed COPY did not reach the SQL prompt: $output"
check_log_free_of_shares "$log_before" "paste after a failed COPY"
echo "paste after a failed COPY: syntax errors, no share in the server log"
echo "malformed pastes: rejected, no share in the server log"
