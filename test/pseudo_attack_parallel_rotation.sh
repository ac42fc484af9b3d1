#!/usr/bin/env bash
# One statement gives one pseudonym per value, even when it runs in
# parallel. The leader of a parallel query may have cached the current
# version earlier in its transaction, while the workers pick the current
# version with the query's snapshot. If another session rotated the key in
# between, leader and workers would use two versions in one statement, and
# count(DISTINCT ...) and joins on the pseudonyms would break. Runs on the
# test cluster.
set -euo pipefail

: "${PGDATABASE:?run from scripts/test.sh, which sets PGDATABASE}"
work=$(mktemp -d)
failures=0
holder=

fail() {
    echo "FAIL: $*"
    failures=$((failures + 1))
}

cleanup() {
    exec 3>&- 2>/dev/null || true
    [ -n "$holder" ] && kill "$holder" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

psql -X -q -v ON_ERROR_STOP=1 <<'SQL'
SET client_min_messages = warning;
SELECT ciam_privacy.destroy_key('rotation_parallel')
WHERE EXISTS (SELECT 1 FROM ciam_privacy.pseudonym_key WHERE key_name = 'rotation_parallel');
SELECT ciam_privacy.create_key('rotation_parallel') \g /dev/null
DROP TABLE IF EXISTS public.rotation_values;
CREATE TABLE public.rotation_values AS
SELECT (g % 1000)::text AS value FROM generate_series(1, 200000) AS g;
ANALYZE public.rotation_values;
SQL

# The session caches the current version in its first statement
mkfifo "$work/holder.in"
psql -X -At <"$work/holder.in" >"$work/holder.out" 2>&1 &
holder=$!
exec 3>"$work/holder.in"
cat >&3 <<'SQL'
BEGIN;
SELECT 'cached ' || left(ciam_privacy.pseudonymize('x'::text, 'rotation_parallel'), 3);
SQL
for ((i = 0; i < 300; i++)); do
    grep -q '^cached' "$work/holder.out" && break
    sleep 0.1
done
grep -q '^cached' "$work/holder.out" || fail "the holding session did not start"

psql -X -q -v ON_ERROR_STOP=1 \
    -c "SELECT ciam_privacy.rotate_key('rotation_parallel')" >/dev/null

# The leader and two workers each compute part of the rows
cat >&3 <<'SQL'
SET max_parallel_workers_per_gather = 2;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET parallel_leader_participation = on;
EXPLAIN (COSTS OFF)
SELECT count(*) FROM public.rotation_values
WHERE ciam_privacy.pseudonymize(value, 'rotation_parallel') IS NOT NULL;
SELECT 'prefixes ' || string_agg(prefix, ',' ORDER BY prefix)
FROM (SELECT DISTINCT left(ciam_privacy.pseudonymize(value, 'rotation_parallel'), 3) AS prefix
      FROM public.rotation_values
      WHERE ciam_privacy.pseudonymize(value, 'rotation_parallel') IS NOT NULL) AS p;
SELECT 'per value ' || max(n)
FROM (SELECT count(DISTINCT p) AS n
      FROM (SELECT value, ciam_privacy.pseudonymize(value, 'rotation_parallel') AS p
            FROM public.rotation_values) AS s
      GROUP BY value) AS g;
COMMIT;
SQL
exec 3>&-
wait "$holder" || true
holder=
cat "$work/holder.out"

grep -q 'Workers Planned: 2' "$work/holder.out" || fail "the query did not run in parallel"
prefixes=$(sed -n 's/^prefixes //p' "$work/holder.out")
[[ $prefixes =~ ^v[0-9]+:$ ]] ||
    fail "one statement used several key versions: $prefixes"
[ "$(sed -n 's/^per value //p' "$work/holder.out")" = 1 ] ||
    fail "a value got more than one pseudonym in one statement"

psql -X -q -v ON_ERROR_STOP=1 <<'SQL'
SET client_min_messages = warning;
SELECT ciam_privacy.destroy_key('rotation_parallel') \g /dev/null
DROP TABLE public.rotation_values;
SQL

[ "$failures" -eq 0 ]
