#!/usr/bin/env bash
# The isolation checks of each analyst query are cached per session until a
# catalog they read changes. One analyst session stays open while the data
# owner, in another session, grants it a way to count rows: membership of
# pg_read_all_stats or CONNECT on a new database, which DDL event triggers
# do not see. The open session's next query must be rejected each time, also
# inside a transaction that already holds its locks.
# Uses the cluster that PGHOST and PGPORT name (scripts/test.sh sets them).
set -euo pipefail

role=regress_cache_analyst
db=${PGDATABASE:-postgres}
other_db=regress_cache_other
work=$(mktemp -d)
chmod 755 "$work"
status=0

owner() { psql -X -q -A -t -v ON_ERROR_STOP=1 "$@"; }
cleanup() {
    exec 3>&- 2>/dev/null || true
    [ "$status" -eq 0 ] || cat "$work/out"
    wait 2>/dev/null || true
    owner <<SQL >/dev/null 2>&1 || true
SET client_min_messages = warning;
DROP DATABASE IF EXISTS $other_db;
DELETE FROM ciam_privacy.budget WHERE role = '$role'::regrole;
DELETE FROM ciam_privacy.published_view WHERE analyst = '$role'::regrole;
DROP SCHEMA IF EXISTS cache_views, cache_private, cache_public CASCADE;
DROP ROLE IF EXISTS $role;
DO \$\$
DECLARE
    other name;
BEGIN
    FOR other IN SELECT datname FROM pg_database
                 WHERE datallowconn AND datname <> current_database() LOOP
        EXECUTE format('GRANT CONNECT ON DATABASE %I TO PUBLIC', other);
    END LOOP;
END;
\$\$;
SQL
    rm -rf "$work"
}
trap cleanup EXIT

owner <<SQL >/dev/null
SET client_min_messages = warning;
DROP DATABASE IF EXISTS $other_db;
DO \$\$
DECLARE
    other name;
BEGIN
    FOR other IN SELECT datname FROM pg_database
                 WHERE datallowconn AND datname <> current_database() LOOP
        EXECUTE format('REVOKE CONNECT ON DATABASE %I FROM PUBLIC', other);
    END LOOP;
END;
\$\$;
SELECT ciam_privacy.restrict_statistics();
SELECT ciam_privacy.create_analyst('$role', 100);
CREATE SCHEMA cache_private;
CREATE SCHEMA cache_public;
CREATE SCHEMA cache_views;
CREATE TABLE cache_private.events AS SELECT g AS id, g % 2 AS kind FROM generate_series(1, 100) g;
CREATE TABLE cache_public.kinds (kind int PRIMARY KEY);
INSERT INTO cache_public.kinds VALUES (0), (1);
GRANT USAGE ON SCHEMA cache_public TO $role;
GRANT SELECT ON cache_public.kinds TO $role;
CREATE VIEW cache_views.per_kind WITH (security_barrier) AS
    SELECT k.kind, ciam_privacy.dp_count(e.id, 0.01) AS events
    FROM cache_public.kinds k LEFT JOIN cache_private.events e ON e.kind = k.kind
    GROUP BY k.kind ORDER BY k.kind;
SELECT ciam_privacy.grant_view('cache_views.per_kind', '$role');
SQL

# The analyst's session: statements go in through a FIFO, output to a file
mkfifo "$work/in"
psql -X -A -t -U "$role" -d "$db" -v ON_ERROR_STOP=0 <"$work/in" >"$work/out" 2>&1 &
exec 3>"$work/in"
step=0
# Run one statement in the analyst session; its first output line goes to
# $result. Not called in a subshell, so that $step keeps counting.
analyst() {
    step=$((step + 1))
    echo "$1" >&3
    echo "\\echo done-$step" >&3
    for ((i = 0; i < 600; i++)); do
        grep -q "^done-$step\$" "$work/out" && break
        sleep 0.05
    done
    result=$(sed -n "/^done-$((step - 1))\$/,/^done-$step\$/p" "$work/out" |
        grep -v '^done-' | sed -n '1{s/^psql:[^E]*ERROR: */ERROR: /;p}')
}
echo "\\echo done-0" >&3
query="SELECT count(*) || ' released' FROM cache_views.per_kind WHERE events >= 0;"
check() {
    local what=$1 got=$2 expected=$3
    if [ "$got" = "$expected" ]; then
        echo "ok: $what"
    else
        echo "FAIL: $what: got '$got', expected '$expected'"
        status=1
    fi
}
rejected_stats="ERROR:  role \"$role\" can read per-table statistics, which count rows without noise"

analyst "$query"
check "first query" "$result" "2 released"
analyst "$query"
check "second query, cached" "$result" "2 released"

owner -c "GRANT pg_read_all_stats TO $role"
analyst "$query"
check "after joining pg_read_all_stats" "$result" "$rejected_stats"
owner -c "REVOKE pg_read_all_stats FROM $role"
analyst "$query"
check "after leaving it" "$result" "2 released"

# inside a transaction whose locks are already held
analyst "BEGIN;"
analyst "$query"
check "in a transaction" "$result" "2 released"
owner -c "GRANT pg_read_all_stats TO $role"
analyst "$query"
check "after joining pg_read_all_stats, in the transaction" "$result" "$rejected_stats"
analyst "ROLLBACK;"
owner -c "REVOKE pg_read_all_stats FROM $role"
analyst "$query"
check "after leaving it again" "$result" "2 released"

owner -c "CREATE DATABASE $other_db"
analyst "$query"
check "after a new database" "$result" \
    "ERROR:  role \"$role\" can connect to other databases: $other_db"
owner -c "REVOKE CONNECT ON DATABASE $other_db FROM PUBLIC"
analyst "$query"
check "after revoking CONNECT" "$result" "2 released"
exit $status
