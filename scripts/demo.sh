#!/usr/bin/env bash
# Demonstrate ciam_privacy on real data. Load UCI Adult (as customers) and
# an Apache access log (as web requests, with each client IP address
# replaced by its pseudonym at load) from data/, publish privatized views,
# then query them as the analyst role analyst_alice until her privacy
# budget runs out.
#
# Usage, as root on Debian 12:  bash scripts/demo.sh
#
# The script runs scripts/setup.sh (Debian packages, build, install), starts
# a private cluster in tmp/cluster-demo that listens only on a Unix socket,
# and stops it at the end. It drops and recreates the database ciam_demo and
# the role analyst_alice, so it can run again.
#
# Environment:
#   CIAM_USE_EXISTING_SERVER=1  use the server that PGHOST, PGPORT and PGUSER
#                      point to, and start or stop nothing. PGUSER must be a
#                      superuser, the server must have ciam_privacy in
#                      shared_preload_libraries, and its pg_hba.conf must let
#                      analyst_alice log in with a password (or trust).
#                      It must load a root key (ciam_privacy.root_key_file
#                      or root_key_command) for the visitor pseudonyms.
#                      Its other databases must not grant CONNECT to PUBLIC
#                      (publish_view() checks this and names what to revoke).
#                      The database ciam_demo and the role analyst_alice on
#                      that server are dropped and recreated.
#   CIAM_KEEP_CLUSTER=1  leave the demo cluster running at the end.
#   CIAM_DEMO_PORT     port of the demo cluster's socket (default 55441).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
database=ciam_demo
analyst=analyst_alice
max_rounds=10

if [ "$(id -u)" -ne 0 ]; then
    echo "demo.sh: run as root (it runs scripts/setup.sh and starts a cluster as postgres)" >&2
    exit 1
fi

# shellcheck source=scripts/cluster.sh
source "$here/scripts/cluster.sh"
psql_bin="$CIAM_PGBIN/psql"

section() {
    printf '\n== %s ==\n\n' "$1"
}

# Run psql as the data owner (PGUSER) on the demo database.
psql_owner() {
    "$psql_bin" -X -q -v ON_ERROR_STOP=1 -P pager=off -d "$database" "$@"
}

# Run psql as the analyst. The password is random per run and only matters
# when pg_hba.conf requires password authentication.
psql_analyst() {
    PGPASSWORD="$analyst_password" "$psql_bin" -X -q -v ON_ERROR_STOP=1 \
        -P pager=off -U "$analyst" -d "$database" "$@"
}

# Copy the lines of a file unchanged into the one-column table crm.TABLE.
# CSV mode with a delimiter and a quote character that the files never
# contain (0x1F, 0x1E) keeps every byte, where text mode would interpret
# backslashes. The psql client reads the file, so the server needs no
# access to data/. The access log is loaded by demo/02_load.sql instead,
# which pseudonymizes its client addresses first.
copy_lines() {
    local table=$1 file=$2
    psql_owner -c "COPY crm.$table (line) FROM STDIN WITH (FORMAT csv, DELIMITER E'\\x1f', QUOTE E'\\x1e')" \
        <"$file"
}

# Print what the last query cost and the analyst's spending, as
# budget_status() reports it. previous_spent contains the spending before it.
previous_spent=0
print_budget() {
    local spent remaining limit
    read -r spent remaining limit < <(psql_analyst -At -F ' ' -c \
        "SELECT epsilon_spent, epsilon_remaining, epsilon_limit FROM ciam_privacy.budget_status()")
    awk -v before="$previous_spent" -v after="$spent" -v who="$analyst" \
        -v remaining="$remaining" -v limit="$limit" 'BEGIN {
            printf "charged epsilon %g; budget of %s: spent %s, remaining %s of %s\n",
                   after - before, who, after, remaining, limit }'
    previous_spent=$spent
}

started_cluster=0
stop_demo_cluster() {
    if [ "$started_cluster" = 1 ] && [ "${CIAM_KEEP_CLUSTER:-0}" != 1 ]; then
        cluster_stop demo
    fi
}
trap stop_demo_cluster EXIT

if ! (cd "$here/data" && sha256sum --quiet -c SHA256SUMS); then
    echo "demo.sh: the files in data/ do not match data/SHA256SUMS." \
         "Restore them from the sources named in data/SOURCES.md." >&2
    exit 1
fi

section "Build and install ciam_privacy"
bash "$here/scripts/setup.sh"

if [ "${CIAM_USE_EXISTING_SERVER:-0}" = 1 ]; then
    section "Use the existing server"
    echo "PGHOST=${PGHOST:-} PGPORT=${PGPORT:-} PGUSER=${PGUSER:-}"
    preload=$("$psql_bin" -X -At -d postgres -c "SHOW shared_preload_libraries")
    if ! grep -Eq '(^|[ ,])"?ciam_privacy"?($|[ ,])' <<<"$preload"; then
        echo "demo.sh: the server does not preload ciam_privacy (shared_preload_libraries = '$preload')." \
             "Add it, keeping the libraries already listed, and restart the server." >&2
        exit 1
    fi
else
    section "Start a private cluster"
    cluster_start demo "${CIAM_DEMO_PORT:-55441}"
    started_cluster=1
    echo "cluster in tmp/cluster-demo, socket $PGHOST, port $PGPORT"
    # The statistics of every database count the rows read in the others,
    # so an analyst may connect to the analytics database only.
    "$psql_bin" -X -q -v ON_ERROR_STOP=1 -d postgres \
        -c "REVOKE CONNECT ON DATABASE postgres, template1 FROM PUBLIC"
fi

section "Create database $database, load data/ and check it"
"$psql_bin" -X -q -v ON_ERROR_STOP=1 -d postgres \
    -c "SET client_min_messages = warning" \
    -c "DROP DATABASE IF EXISTS $database WITH (FORCE)" \
    -c "DROP ROLE IF EXISTS $analyst" \
    -c "CREATE DATABASE $database"
psql_owner -f "$here/demo/01_schema.sql"
copy_lines adult_names_lines "$here/data/adult/adult.names"
copy_lines adult_data_lines "$here/data/adult/adult.data"
# The log goes to 02_load.sql on standard input: that session replaces
# each client IP address with its pseudonym before anything is stored.
psql_owner -f "$here/demo/02_load.sql" <"$here/data/web_access/apache_access_2015.log"

section "The web log as stored: visitors are pseudonyms, no IP address is kept"
psql_owner -c "SELECT request_id, visitor, requested_at, path
               FROM crm.web_requests ORDER BY request_id LIMIT 3"

section "Publish privatized views to $analyst"
psql_owner -f "$here/demo/03_views.sql"
analyst_password=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
psql_owner -v analyst_password="$analyst_password" -f "$here/demo/04_analyst.sql"

section "$analyst cannot read the base tables"
echo "    SELECT count(*) FROM crm.customers;"
echo
if output=$(psql_analyst -c "SELECT count(*) FROM crm.customers" 2>&1); then
    echo "demo.sh: $analyst can read crm.customers, so the privileges set by demo/04_analyst.sql are wrong" >&2
    exit 1
fi
echo "$output"
if ! grep -q "permission denied" <<<"$output"; then
    echo "demo.sh: expected \"permission denied\" for $analyst on crm.customers, got the output above" >&2
    exit 1
fi

# Query the views in turn, as the analyst, until a query is rejected for
# lack of budget. Each query file starts with a one-line comment: its title.
query_number=0
rejected=0
for ((round = 1; round <= max_rounds && rejected == 0; round++)); do
    if [ "$round" -gt 1 ]; then
        section "Round $round: the same queries again"
        echo "Each run draws fresh noise, so the numbers change, and each is charged again."
    fi
    for query_file in "$here"/demo/queries/*.sql; do
        query_number=$((query_number + 1))
        section "Query $query_number, as $analyst: $(sed -n '1s/^-- //p' "$query_file")"
        sed '1d; s/^/    /' "$query_file"
        echo
        if output=$(psql_analyst -c "$(cat "$query_file")" 2>&1); then
            echo "$output"
            print_budget
        elif grep -q "privacy budget exceeded" <<<"$output"; then
            echo "$output"
            print_budget
            echo "The query was rejected before it read any row, so nothing was released."
            rejected=1
            break
        else
            echo "$output" >&2
            echo "demo.sh: query $query_file failed" >&2
            exit 1
        fi
    done
done
if [ "$rejected" = 0 ]; then
    echo "demo.sh: the budget of $analyst did not run out in $max_rounds rounds" >&2
    exit 1
fi

section "Exact figures, for comparison (data owner only, no noise)"
psql_owner -f "$here/demo/05_exact_figures.sql"

# --- Paillier encryption (demo/06_paillier.sql) -----------------------------
section "Paillier: an encrypted column, summed by one role, decrypted by another"
psql_owner -f "$here/demo/06_paillier.sql"
# --- end of Paillier encryption ----------------------------------------------

section "Done in ${SECONDS} s"
if [ "$started_cluster" = 1 ] && [ "${CIAM_KEEP_CLUSTER:-0}" = 1 ]; then
    echo "The cluster keeps running. Connect with:"
    echo "    PGHOST='$PGHOST' PGPORT=$PGPORT psql -U postgres -d $database"
    echo "Stop it with:"
    echo "    source scripts/cluster.sh && cluster_stop demo"
fi
