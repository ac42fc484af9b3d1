#!/usr/bin/env bash
# The demo must never store a client IP address. This test runs
# scripts/demo.sh against a cluster of its own (CIAM_TEST_PORT + 6) and
# stops that cluster, so that every buffer and WAL record is on disk. Then
# it searches the whole cluster folder (table files, WAL, server log) for
# each distinct address of the access log. A path from the log must be found, which shows the
# search can find what the demo stored.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/cluster.sh
source "$here/scripts/cluster.sh"
port=$(( ${CIAM_TEST_PORT:-55433} + 6 ))
name=pseudo-demo
work=$(mktemp -d)
cluster_start "$name" "$port"
trap 'cluster_stop "$name"; rm -rf "$work"' EXIT
dir=$(cluster_dir "$name")
log="$here/data/web_access/apache_access_2015.log"

psql -X -q -d postgres -c "REVOKE CONNECT ON DATABASE postgres, template1 FROM PUBLIC"
if ! CIAM_USE_EXISTING_SERVER=1 bash "$here/scripts/demo.sh" >"$work/demo.out" 2>&1; then
    cat "$work/demo.out"
    echo "FAIL: the demo failed"
    exit 1
fi
grep -q 'Distinct visitors (pseudonymized client IP addresses) per day' "$work/demo.out" ||
    { echo "FAIL: the demo did not count visitors"; exit 1; }
visitors=$(psql -X -At -d ciam_demo -c "SELECT count(DISTINCT visitor) FROM crm.web_requests")
echo "distinct visitors stored: $visitors"

cluster_stop "$name"

awk '{ print $1 }' "$log" | sort -u >"$work/addresses"
echo "searching $(wc -l <"$work/addresses") addresses in $(du -sh "$dir" | cut -f1) of cluster files"
# The addresses as text, as in the log lines
matches=$(grep -rlaF -f "$work/addresses" "$dir" || true)
if [ -n "$matches" ]; then
    echo "FAIL: client addresses found in:"
    echo "$matches"
    exit 1
fi
if ! grep -qaF '/presentations/logstash-monitorama-2013/images/kibana-search.png' -r "$dir/data/base"; then
    echo "FAIL: the search does not find a path that the demo stored"
    exit 1
fi
echo "no client address found in table files, WAL or the server log"
