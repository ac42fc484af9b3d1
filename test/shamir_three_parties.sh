#!/usr/bin/env bash
# A secure sum across three PostgreSQL clusters. Each party has its own
# customers, splits its local count and sum into integer shares with
# threshold 2, keeps one and sends one to each other party (binary COPY
# piped between the clusters). Each party adds up the shares it has with
# shamir_sum, and every pair of parties rebuilds the totals, reading the
# other's summed shares through postgres_fdw. The test then checks that the
# totals are exact, that one party alone cannot rebuild them, and that no
# table or server log of a party contains another party's count or sum.
#
# Starts three clusters of its own on CIAM_TEST_PORT + 20, + 21 and + 22.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/cluster.sh
source "$here/scripts/cluster.sh"
base_port=$(( ${CIAM_TEST_PORT:-55433} + 20 ))
parties=(1 2 3)
declare -A socket port

stop_all() {
    for party in "${parties[@]}"; do
        cluster_stop "shamir_party$party"
    done
}
trap stop_all EXIT

for party in "${parties[@]}"; do
    cluster_start "shamir_party$party" $((base_port + party - 1))
    socket[$party]=$PGHOST
    port[$party]=$PGPORT
done

# Run psql against one party's database: on_party N [psql arguments]
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

echo "-- each party loads its own customers"
for party in "${parties[@]}"; do
    PGHOST=${socket[$party]} PGPORT=${port[$party]} psql -X -q -d postgres \
        -c "CREATE DATABASE shop"
    # Every statement goes to the server log, which is checked at the end
    on_party "$party" <<SQL
ALTER SYSTEM SET log_statement = 'all';
SELECT pg_reload_conf();
CREATE EXTENSION ciam_privacy;
CREATE EXTENSION postgres_fdw;
CREATE TABLE customers (id bigint PRIMARY KEY, lifetime_value bigint NOT NULL);
-- Between 1000 and 5999 customers, each worth up to 10 million cents
INSERT INTO customers
SELECT g, floor(random() * 1e7)::bigint
FROM generate_series(1, 1000 * $party + floor(random() * 3000)::int) g;
SQL
done >/dev/null

declare -A local_count local_sum
total_count=0
total_sum=0
for party in "${parties[@]}"; do
    read -r local_count[$party] local_sum[$party] < <(on_party "$party" -F ' ' \
        -c "SELECT count(*), sum(lifetime_value) FROM customers")
    total_count=$((total_count + local_count[$party]))
    total_sum=$((total_sum + local_sum[$party]))
    echo "party $party: ${local_count[$party]} customers (its count and sum stay local)"
done

echo "-- each party splits its count and sum: share k goes to party k"
for party in "${parties[@]}"; do
    on_party "$party" <<SQL
CREATE TABLE outbox AS
SELECT k AS to_party, metric, shares[k] AS share
FROM (SELECT 'customers' AS metric,
             ciam_privacy.shamir_share_int(count(*), 2, 3) AS shares
      FROM customers
      UNION ALL
      SELECT 'lifetime_value',
             ciam_privacy.shamir_share_int(coalesce(sum(lifetime_value), 0), 2, 3)
      FROM customers) AS local,
     generate_series(1, 3) AS k;
CREATE TABLE inbox (from_party int, metric text, share ciam_privacy.shamir_int_share);
SQL
done

for sender in "${parties[@]}"; do
    for receiver in "${parties[@]}"; do
        on_party "$sender" -c "COPY (SELECT $sender, metric, share FROM outbox
                                     WHERE to_party = $receiver) TO STDOUT (FORMAT binary)" |
            on_party "$receiver" -c "COPY inbox FROM STDIN (FORMAT binary)"
    done
    # The outbox contains every share of the sender's own figures
    on_party "$sender" -c "DROP TABLE outbox"
done

echo "-- each party adds up the shares it holds"
for party in "${parties[@]}"; do
    received=$(on_party "$party" <<SQL
SELECT count(*) || ' ' || count(DISTINCT from_party) || ' ' ||
       bool_and(ciam_privacy.shamir_int_share_x(share) = $party)
FROM inbox;
SQL
)
    [ "$received" = "6 3 true" ] ||
        fail "party $party holds '$received' (shares, senders, all x = $party), not '6 3 true'"
    on_party "$party" -c "CREATE TABLE summed AS
                          SELECT metric, ciam_privacy.shamir_sum(share) AS share
                          FROM inbox GROUP BY metric"
    # Peers read the summed shares through this role, and nothing else
    on_party "$party" -c "CREATE ROLE shamir_peer LOGIN" -c "GRANT SELECT ON summed TO shamir_peer"
done

echo "-- every pair rebuilds the totals through postgres_fdw"
for first in "${parties[@]}"; do
    for second in "${parties[@]}"; do
        [ "$first" -ne "$second" ] || continue
        on_party "$first" <<SQL
CREATE SERVER party$second FOREIGN DATA WRAPPER postgres_fdw
    OPTIONS (host '${socket[$second]}', port '${port[$second]}', dbname 'shop');
CREATE USER MAPPING FOR postgres SERVER party$second OPTIONS (user 'shamir_peer');
CREATE SCHEMA party$second;
IMPORT FOREIGN SCHEMA public LIMIT TO (summed) FROM SERVER party$second INTO party$second;
SQL
        totals=$(on_party "$first" -F ' ' <<SQL
SELECT string_agg(ciam_privacy.shamir_combine_int(ARRAY[mine.share, theirs.share])::text,
                  ' ' ORDER BY metric)
FROM summed AS mine JOIN party$second.summed AS theirs USING (metric);
SQL
)
        echo "parties $first and $second: totals $totals"
        [ "$totals" = "$total_count $total_sum" ] ||
            fail "parties $first and $second rebuilt '$totals', expected '$total_count $total_sum'"
    done
done

echo "-- one party alone cannot rebuild"
for party in "${parties[@]}"; do
    if output=$(on_party "$party" -c "SELECT ciam_privacy.shamir_combine_int(array_agg(share))
                                      FROM summed WHERE metric = 'customers'" 2>&1); then
        fail "party $party rebuilt a total alone: $output"
    fi
    grep -q "at least 2 shares are needed" <<<"$output" ||
        fail "party $party: unexpected error: $output"
done

echo "-- no party holds another party's count or sum"
for party in "${parties[@]}"; do
    dump=$(PGHOST=${socket[$party]} PGPORT=${port[$party]} \
        "$CIAM_PGBIN/pg_dump" --data-only --exclude-table=customers shop)
    log=$(cat "$(cluster_dir "shamir_party$party")/server.log")
    [ -n "$dump" ] || fail "party $party: empty dump"
    grep -q "COPY public.inbox" <<<"$dump" || fail "party $party: the dump misses the inbox"
    # Every decimal number in the tables and the log, one per line
    numbers=$(grep -oE '[0-9]+' <<<"$dump$log" | sort -u)
    for other in "${parties[@]}"; do
        [ "$other" -ne "$party" ] || continue
        for value in "${local_count[$other]}" "${local_sum[$other]}"; do
            if grep -qx "$value" <<<"$numbers"; then
                fail "party $party holds the value $value of party $other in the clear"
            fi
        done
    done
done
echo "three parties: totals $total_count customers, $total_sum cents; no value seen by another party"
