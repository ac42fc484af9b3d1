#!/usr/bin/env bash
# A key version destroyed, or a grant revoked, before a transaction first
# uses the key must not work in that transaction, whether the query runs
# in parallel workers or not. A REPEATABLE READ transaction whose snapshot
# predates the change is the attack: parallel mode cannot take a new
# snapshot, so a lookup made with the query's snapshot would still find
# the destroyed row and the revoked grant. Runs on the test cluster.
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
SELECT ciam_privacy.destroy_key(k) FROM unnest(ARRAY['snap_shred', 'snap_revoke']) AS k
WHERE EXISTS (SELECT 1 FROM ciam_privacy.pseudonym_key WHERE key_name = k);
DROP ROLE IF EXISTS regress_snap_loader;
CREATE ROLE regress_snap_loader LOGIN;
GRANT USAGE ON SCHEMA ciam_privacy TO regress_snap_loader;
SELECT ciam_privacy.create_key('snap_revoke') \g /dev/null
SQL
# A rerun gets higher version numbers: destroyed ones are not reused
old_version=$(psql -X -At -v ON_ERROR_STOP=1 -c "SELECT ciam_privacy.create_key('snap_shred')")
new_version=$(psql -X -At -v ON_ERROR_STOP=1 -c "SELECT ciam_privacy.rotate_key('snap_shred')")
psql -X -q -v ON_ERROR_STOP=1 <<'SQL'
SET client_min_messages = warning;
SELECT ciam_privacy.grant_key('snap_shred', 'regress_snap_loader');
SELECT ciam_privacy.grant_key('snap_revoke', 'regress_snap_loader');
SQL

# The loader's transaction takes its snapshot before the changes and uses
# neither key until after them. Each attempt runs in a savepoint, so that
# one error does not end the transaction and its snapshot.
mkfifo "$work/holder.in"
psql -X -At -U regress_snap_loader <"$work/holder.in" >"$work/holder.out" 2>&1 &
holder=$!
exec 3>"$work/holder.in"
cat >&3 <<'SQL'
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT 'snapshot taken ' || count(*) FROM pg_class;
SQL
for ((i = 0; i < 300; i++)); do
    grep -q '^snapshot taken' "$work/holder.out" && break
    sleep 0.1
done
grep -q '^snapshot taken' "$work/holder.out" || fail "the loader's transaction did not start"

psql -X -q -v ON_ERROR_STOP=1 <<SQL
SET client_min_messages = warning;
SELECT ciam_privacy.destroy_key_version('snap_shred', $old_version);
SELECT ciam_privacy.revoke_key('snap_revoke', 'regress_snap_loader');
SQL

# force_parallel_mode runs each query in a worker under a Gather node
cat >&3 <<SQL
SET force_parallel_mode = on;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
EXPLAIN (COSTS OFF) SELECT ciam_privacy.pseudonymize('x'::text, 'snap_shred', $old_version);
SAVEPOINT a;
SELECT 'parallel destroyed ' || ciam_privacy.pseudonymize('x'::text, 'snap_shred', $old_version);
ROLLBACK TO SAVEPOINT a;
SELECT 'parallel revoked ' || ciam_privacy.pseudonymize('x'::text, 'snap_revoke');
ROLLBACK TO SAVEPOINT a;
SELECT 'parallel current ' || ciam_privacy.pseudonymize('x'::text, 'snap_shred');
ROLLBACK TO SAVEPOINT a;
-- Outside the savepoint, which would undo the SET when rolled back to
RELEASE SAVEPOINT a;
SET force_parallel_mode = off;
SAVEPOINT b;
SELECT 'serial destroyed ' || ciam_privacy.pseudonymize('x'::text, 'snap_shred', $old_version);
ROLLBACK TO SAVEPOINT b;
SELECT 'serial revoked ' || ciam_privacy.pseudonymize('x'::text, 'snap_revoke');
ROLLBACK TO SAVEPOINT b;
COMMIT;
SQL
exec 3>&-
wait "$holder" || true
holder=
cat "$work/holder.out"

for mode in parallel serial; do
    if grep -q "^$mode destroyed v" "$work/holder.out"; then
        fail "$mode: the destroyed version $old_version computed a pseudonym"
    fi
    if grep -q "^$mode revoked v" "$work/holder.out"; then
        fail "$mode: the revoked grant still allowed a pseudonym"
    fi
done
n=$(grep -c "version $old_version of pseudonymization key \"snap_shred\" does not exist" \
    "$work/holder.out" || true)
[ "$n" -eq 2 ] || fail "expected 2 errors for the destroyed version, got $n"
n=$(grep -c 'permission denied for pseudonymization key "snap_revoke"' "$work/holder.out" || true)
[ "$n" -eq 2 ] || fail "expected 2 refusals for the revoked grant, got $n"
grep -q '^Gather' "$work/holder.out" || fail "the queries did not run under a Gather node"
# The version that remains still works in parallel mode
grep -q "^parallel current v$new_version:" "$work/holder.out" ||
    fail "the remaining version $new_version did not work in a parallel query"

psql -X -q -v ON_ERROR_STOP=1 <<'SQL'
SET client_min_messages = warning;
SELECT ciam_privacy.destroy_key('snap_shred') \g /dev/null
SELECT ciam_privacy.destroy_key('snap_revoke') \g /dev/null
REVOKE USAGE ON SCHEMA ciam_privacy FROM regress_snap_loader;
DROP ROLE regress_snap_loader;
SQL

[ "$failures" -eq 0 ]
