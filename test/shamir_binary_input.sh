#!/usr/bin/env bash
# The binary input of shamir_int_share (COPY ... FORMAT binary, the binary
# protocol) must reject what the text input rejects: x outside 1..255, a
# threshold outside 2..255, y of p = 2^127 - 1 or more, and fields of the
# wrong length. Each case is a hand-made binary COPY stream of one row. Run
# by scripts/test.sh, which sets PGHOST, PGPORT and PGDATABASE.
set -euo pipefail

fail() {
    echo "FAIL: $*"
    exit 1
}

psql -X -q -v ON_ERROR_STOP=1 -c "SET client_min_messages = warning" \
    -c "DROP TABLE IF EXISTS shamir_binary_input" \
    -c "CREATE TABLE shamir_binary_input (share ciam_privacy.shamir_int_share)"
trap 'psql -X -q -c "DROP TABLE IF EXISTS shamir_binary_input"' EXIT

# Write a binary COPY stream with one row whose only field has the bytes
# given as printf escapes in $2 and the declared length $1 (4 bytes).
copy_stream() {
    local length=$1 field=$2
    printf 'PGCOPY\n\377\r\n\000'          # signature
    printf '\000\000\000\000'              # flags
    printf '\000\000\000\000'              # header extension length
    printf '\000\001'                      # one field
    printf "$length"
    printf "$field"
    printf '\377\377'                      # trailer
}

# Load a stream; print psql's output, and return psql's status.
load() {
    copy_stream "$1" "$2" |
        psql -X -q -v ON_ERROR_STOP=1 -c "COPY shamir_binary_input FROM STDIN (FORMAT binary)" 2>&1
}

expect_error() {
    local name=$1 expected=$2 output
    if output=$(load "$3" "$4"); then
        fail "$name: the share was accepted"
    fi
    grep -qF "$expected" <<<"$output" || fail "$name: unexpected error: $output"
    echo "$name: rejected ($expected)"
}

zero8='\000\000\000\000\000\000\000\000'
ones8='\377\377\377\377\377\377\377\377'
# High 8 bytes of p = 2^127 - 1; its low 8 bytes are ones8
p_high='\177\377\377\377\377\377\377\377'
length18='\000\000\000\022'

# (3,2,258): x = 3, threshold 2, y = 0x102
load "$length18" "\003\002${zero8}\000\000\000\000\000\000\001\002" >/dev/null ||
    fail "a valid share was rejected"
[ "$(psql -X -At -c "SELECT share FROM shamir_binary_input")" = "(3,2,258)" ] ||
    fail "the valid share did not read back as (3,2,258)"
echo "valid: (3,2,258) loaded"

# y = p - 1 is the largest valid y; y = p and y = 2^128 - 1 are not
load "$length18" "\001\002${p_high}\377\377\377\377\377\377\377\376" >/dev/null ||
    fail "y = p - 1 was rejected"
expect_error "y equal to p" "y value of shamir_int_share is out of range" \
    "$length18" "\001\002${p_high}${ones8}"
expect_error "y of 2^128 - 1" "y value of shamir_int_share is out of range" \
    "$length18" "\001\002${ones8}${ones8}"
expect_error "x of 0" "x value 0 of shamir_int_share is out of range" \
    "$length18" "\000\002${zero8}${zero8}"
expect_error "threshold of 1" "threshold 1 of shamir_int_share is out of range" \
    "$length18" "\001\001${zero8}${zero8}"
expect_error "threshold of 0" "threshold 0 of shamir_int_share is out of range" \
    "$length18" "\001\000${zero8}${zero8}"
expect_error "field of 17 bytes" "insufficient data left in message" \
    '\000\000\000\021' "\001\002${zero8}\000\000\000\000\000\000\000"
expect_error "field of 19 bytes" "incorrect binary data format" \
    '\000\000\000\023' "\001\002${zero8}${zero8}\000"

rows=$(psql -X -At -c "SELECT count(*) FROM shamir_binary_input")
[ "$rows" -eq 2 ] || fail "the table has $rows rows instead of the 2 valid shares"
