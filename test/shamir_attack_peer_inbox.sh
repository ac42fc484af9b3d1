#!/usr/bin/env bash
# Attack on the secure sum across parties: a curious party uses the
# postgres_fdw connection that the recipe gives it for reading another
# party's summed shares to read that party's inbox as well. The inbox contains
# one share of every other party's figures, and the attacker's own inbox
# contains another share of the same figures, so with threshold 2 the two
# rebuild a third party's count. The recipe must give peers a role that can
# read the summed shares and nothing else.
#
# Three clusters on CIAM_TEST_PORT + 20, + 21 and + 22, like
# test/shamir_three_parties.sh (the tests run one after another).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/cluster.sh
source "$here/scripts/cluster.sh"
base_port=$(( ${CIAM_TEST_PORT:-55433} + 20 ))
parties=(1 2 3)
declare -A socket port

stop_all() {
    for party in "${parties[@]}"; do
        cluster_stop "shamir_attack_party$party"
    done
}
trap stop_all EXIT

for party in "${parties[@]}"; do
    cluster_start "shamir_attack_party$party" $((base_port + party - 1))
    socket[$party]=$PGHOST
    port[$party]=$PGPORT
done

on_party() {
    local party=$1
    shift
    PGHOST=${socket[$party]} PGPORT=${port[$party]} PGDATABASE=shop \
        psql -X -q -At -v ON_ERROR_STOP=1 "$@"
}

fail() {
    echo "FAIL: $*"
    exit 1
}

declare -A local_count
for party in "${parties[@]}"; do
    PGHOST=${socket[$party]} PGPORT=${port[$party]} psql -X -q -d postgres \
        -c "CREATE DATABASE shop"
    on_party "$party" <<SQL
CREATE EXTENSION ciam_privacy;
CREATE EXTENSION postgres_fdw;
CREATE TABLE customers (id bigint PRIMARY KEY);
INSERT INTO customers SELECT g FROM generate_series(1, 1000 * $party + floor(random() * 3000)::int) g;
CREATE TABLE outbox AS
SELECT k AS to_party, 'customers' AS metric, shares[k] AS share
FROM (SELECT ciam_privacy.shamir_share_int(count(*), 2, 3) AS shares FROM customers) AS local,
     generate_series(1, 3) AS k;
CREATE TABLE inbox (from_party int, metric text, share ciam_privacy.shamir_int_share);
SQL
    local_count[$party]=$(on_party "$party" -c "SELECT count(*) FROM customers")
done >/dev/null

for sender in "${parties[@]}"; do
    for receiver in "${parties[@]}"; do
        on_party "$sender" -c "COPY (SELECT $sender, metric, share FROM outbox
                                     WHERE to_party = $receiver) TO STDOUT (FORMAT binary)" |
            on_party "$receiver" -c "COPY inbox FROM STDIN (FORMAT binary)"
    done
    on_party "$sender" -c "DROP TABLE outbox"
done
for party in "${parties[@]}"; do
    # Step 4 of the recipe in docs/shamir.md: sum, then let peers read the sums
    on_party "$party" <<'SQL'
CREATE TABLE summed AS
SELECT metric, ciam_privacy.shamir_sum(share) AS share FROM inbox GROUP BY metric;
CREATE ROLE shamir_peer LOGIN;
GRANT SELECT ON summed TO shamir_peer;
SQL
done

# Step 5: party 1 connects to party 2 as the recipe in docs/shamir.md shows
on_party 1 <<SQL
CREATE SERVER party2 FOREIGN DATA WRAPPER postgres_fdw
    OPTIONS (host '${socket[2]}', port '${port[2]}', dbname 'shop');
CREATE USER MAPPING FOR CURRENT_USER SERVER party2 OPTIONS (user 'shamir_peer');
CREATE SCHEMA party2;
IMPORT FOREIGN SCHEMA public LIMIT TO (summed) FROM SERVER party2 INTO party2;
SQL
total=$(on_party 1 -c "SELECT ciam_privacy.shamir_combine_int(ARRAY[mine.share, theirs.share])
                       FROM summed AS mine JOIN party2.summed AS theirs USING (metric)")
expected=$((local_count[1] + local_count[2] + local_count[3]))
[ "$total" = "$expected" ] || fail "the recipe rebuilt $total customers, expected $expected"
echo "the recipe rebuilds the total: $total customers"

# The attack: the same server, a foreign table over party 2's inbox
on_party 1 <<'SQL'
CREATE SCHEMA stolen;
IMPORT FOREIGN SCHEMA public LIMIT TO (inbox) FROM SERVER party2 INTO stolen;
SQL
if output=$(on_party 1 -c "SELECT ciam_privacy.shamir_combine_int(ARRAY[mine.share, theirs.share])
                           FROM inbox AS mine JOIN stolen.inbox AS theirs USING (from_party, metric)
                           WHERE from_party = 3" 2>&1); then
    [ "$output" = "${local_count[3]}" ] &&
        fail "party 1 rebuilt party 3's own count ${local_count[3]} from party 2's inbox"
    fail "party 1 read party 2's inbox through postgres_fdw: $output"
fi
grep -q 'permission denied for table inbox' <<<"$output" ||
    fail "unexpected error when reading party 2's inbox: $output"
echo "party 2's inbox: $(grep -o 'permission denied for table inbox' <<<"$output" | head -1)"

# Nor can the peer role read the other tables with shares or figures
for table in customers inbox; do
    if output=$(PGHOST=${socket[2]} PGPORT=${port[2]} PGDATABASE=shop PGUSER=shamir_peer \
                psql -X -q -At -c "SELECT count(*) FROM $table" 2>&1); then
        fail "the peer role read party 2's $table: $output"
    fi
done
echo "the peer role reads the summed shares and nothing else"
