#!/usr/bin/env bash
# Byte shares must be interchangeable with the npm package
# shamir-secret-sharing, which uses HashiCorp Vault's format. Shares made by
# npm are combined by shamir_combine, and shares made by shamir_share are
# combined by npm. Both directions cover secrets of 1 to 1000 bytes, zero
# bytes at both ends, thresholds from 2 to 255, and both exactly threshold
# shares (a random subset in random order) and all shares. Run by
# scripts/test.sh, which sets PGHOST, PGPORT and PGDATABASE; needs node and
# the package installed by scripts/setup.sh (npm ci in interop/shamir).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
interop="$here/interop/shamir"
work=$(mktemp -d "$here/tmp/shamir_npm.XXXXXX")
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT

if ! command -v node >/dev/null; then
    echo "FAIL: node is not installed; run scripts/setup.sh as root"
    exit 1
fi
if [ ! -d "$interop/node_modules/shamir-secret-sharing" ]; then
    echo "FAIL: shamir-secret-sharing is missing; run scripts/setup.sh (npm ci in interop/shamir)"
    exit 1
fi

echo "-- npm split, shamir_combine"
node "$interop/interop.js" split >"$work/npm_shares.tsv"
cases=$(wc -l <"$work/npm_shares.tsv")
if [ "$cases" -ne 60 ]; then
    echo "FAIL: the npm split produced $cases cases instead of 60"
    exit 1
fi

result=$(psql -X -q -At -v ON_ERROR_STOP=1 <<SQL
CREATE TEMP TABLE npm_case (secret text, threshold int, subset text, all_shares text);
\copy npm_case FROM '$work/npm_shares.tsv'
CREATE FUNCTION pg_temp.decode_shares(text) RETURNS bytea[]
LANGUAGE sql IMMUTABLE STRICT
AS \$\$ SELECT array_agg(decode(s, 'hex') ORDER BY n)
       FROM unnest(string_to_array(\$1, ',')) WITH ORDINALITY AS t(s, n) \$\$;
SELECT count(*) || ' ' ||
       count(*) FILTER (WHERE encode(ciam_privacy.shamir_combine(
                pg_temp.decode_shares(subset)), 'hex') = secret) || ' ' ||
       count(*) FILTER (WHERE encode(ciam_privacy.shamir_combine(
                pg_temp.decode_shares(all_shares)), 'hex') = secret)
FROM npm_case;
SQL
)
echo "cases, subsets rebuilt, full sets rebuilt: $result"
if [ "$result" != "60 60 60" ]; then
    echo "FAIL: shamir_combine did not rebuild every secret split by npm"
    exit 1
fi

echo "-- shamir_share, npm combine"
psql -X -q -At -v ON_ERROR_STOP=1 >"$work/pg_shares.tsv" <<'SQL'
CREATE FUNCTION pg_temp.random_secret(length int, zero_ends boolean) RETURNS bytea
LANGUAGE sql VOLATILE
AS $$
    SELECT CASE WHEN zero_ends
                THEN overlay(overlay(secret PLACING '\x00' FROM 1) PLACING '\x00' FROM length)
                ELSE secret END
    FROM (SELECT decode(string_agg(lpad(to_hex(floor(random() * 256)::int), 2, '0'), ''), 'hex')
          FROM generate_series(1, length)) AS t(secret)
$$;
CREATE TEMP TABLE pg_case AS
SELECT secret, threshold, ciam_privacy.shamir_share(secret, threshold, shares) AS shares
FROM (SELECT pg_temp.random_secret(length, n % 3 = 0) AS secret, threshold, shares
      FROM unnest('{1,2,7,8,9,31,32,33,64,1000}'::int[]) AS l(length),
           unnest('{2,2,3,5,10,255}'::int[], '{2,3,5,5,20,255}'::int[]) AS p(threshold, shares),
           LATERAL (SELECT length * 7 + threshold) AS c(n)) AS cases;
-- One line with a random subset of threshold shares, one with all shares
SELECT encode(secret, 'hex') || E'\t' ||
       (SELECT string_agg(encode(s, 'hex'), ',')
        FROM (SELECT s FROM unnest(shares) AS s ORDER BY random() LIMIT threshold) AS subset)
FROM pg_case
UNION ALL
SELECT encode(secret, 'hex') || E'\t' ||
       array_to_string(ARRAY(SELECT encode(s, 'hex') FROM unnest(shares) AS s), ',')
FROM pg_case;
SQL
lines=$(wc -l <"$work/pg_shares.tsv")
if [ "$lines" -ne 120 ]; then
    echo "FAIL: shamir_share produced $lines lines instead of 120"
    exit 1
fi
node "$interop/interop.js" combine <"$work/pg_shares.tsv"
