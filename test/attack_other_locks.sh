#!/usr/bin/env bash
# One analyst watches another through pg_locks. pg_locks lists the locks
# of every session with its process id, and pg_stat_activity names the
# role of each process. An analyst could so see which privatized views
# another analyst queries, when and for how long, and each charge as a
# lock on the budget and ledger tables. The threat model keeps other
# analysts' spending from them. After restrict_statistics(), pg_locks is
# for pg_read_all_stats only.
# Uses the cluster that PGHOST and PGPORT name (scripts/test.sh sets them).
set -euo pipefail

watcher=regress_locks_watcher
watched=regress_locks_watched
db=${PGDATABASE:-postgres}
status=0

owner() { psql -X -q -A -t -v ON_ERROR_STOP=1 "$@"; }
cleanup() {
    wait 2>/dev/null || true
    owner <<SQL >/dev/null 2>&1 || true
SET client_min_messages = warning;
DELETE FROM ciam_privacy.budget WHERE role IN ('$watcher'::regrole, '$watched'::regrole);
DELETE FROM ciam_privacy.published_view WHERE analyst IN ('$watcher'::regrole, '$watched'::regrole);
DROP SCHEMA IF EXISTS locks_views, locks_private, locks_public CASCADE;
DROP ROLE IF EXISTS $watcher;
DROP ROLE IF EXISTS $watched;
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
}
trap cleanup EXIT

owner <<SQL >/dev/null
SET client_min_messages = warning;
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
SELECT ciam_privacy.create_analyst('$watcher', 10);
SELECT ciam_privacy.create_analyst('$watched', 10);
CREATE SCHEMA locks_private;
CREATE SCHEMA locks_public;
CREATE SCHEMA locks_views;
CREATE TABLE locks_private.customers AS
    SELECT g AS id, (ARRAY['DE', 'FR'])[g % 2 + 1] AS country
    FROM generate_series(1, 100) g;
CREATE TABLE locks_public.countries (country text PRIMARY KEY);
INSERT INTO locks_public.countries VALUES ('DE'), ('FR');
GRANT USAGE ON SCHEMA locks_public TO $watcher, $watched;
GRANT SELECT ON locks_public.countries TO $watcher, $watched;
CREATE VIEW locks_views.per_country WITH (security_barrier) AS
    SELECT k.country, ciam_privacy.dp_count(c.id, 0.1) AS customers
    FROM locks_public.countries k
    LEFT JOIN locks_private.customers c ON c.country = k.country
    GROUP BY k.country
    ORDER BY k.country;
SELECT ciam_privacy.grant_view('locks_views.per_country', '$watcher');
SELECT ciam_privacy.grant_view('locks_views.per_country', '$watched');
SQL

# The watched analyst holds the view's lock for a few seconds
owner -U "$watched" -d "$db" \
    -c "SELECT pg_sleep(3), customers FROM locks_views.per_country LIMIT 1" >/dev/null &
watched_pid=$!
for ((step = 0; step < 100; step++)); do
    running=$(owner -c "SELECT count(*) FROM pg_stat_activity
                        WHERE usename = '$watched' AND wait_event = 'PgSleep'")
    [ "$running" -ge 1 ] && break
    sleep 0.05
done

seen=$(psql -X -q -A -t -U "$watcher" -d "$db" -c "
    SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
    WHERE a.usename = '$watched'
      AND l.relation = 'locks_views.per_country'::regclass" 2>&1 || true)
echo "the watcher's view of the other analyst's locks: $seen"
if [ "$seen" != "${seen#*permission denied}" ]; then
    echo "ok: pg_locks is not readable by the watcher"
else
    echo "FAIL: the watcher saw the other analyst's lock on the view ($seen)"
    status=1
fi
wait "$watched_pid" || { echo "FAIL: the watched analyst's query failed"; status=1; }

# Monitoring roles keep pg_locks
check=$(owner -c "SELECT has_function_privilege('pg_read_all_stats', 'pg_lock_status()', 'EXECUTE')")
if [ "$check" = t ]; then
    echo "ok: pg_read_all_stats keeps pg_locks"
else
    echo "FAIL: pg_read_all_stats lost pg_locks"
    status=1
fi
exit $status
