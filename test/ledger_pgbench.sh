#!/usr/bin/env bash
# Eight analysts spend small budgets at once through pgbench: none may
# overspend, every released query must have its ledger row, the ledger must
# sum to the budget's spending, and no client may fail with anything but
# the budget error. The load version is bench/pgbench_ledger.sh; this runs
# it with budgets of 60 queries on the test cluster. Each refusal must also
# be in the server log at LOG level, with the role and the view.
# Needs CIAM_PGDATA (set by cluster_start in scripts/cluster.sh).
set -euo pipefail
: "${CIAM_PGDATA:?set CIAM_PGDATA to the data directory of the test cluster}"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_EXISTING=1 BENCH_QUERIES=60 BENCH_BASELINE=0 bash "$here/bench/pgbench_ledger.sh"

status=0
for ((i = 1; i <= 8; i++)); do
    pattern="LOG:  ciam_privacy: rejected query on view bench_views.customers_per_country for role \"bench_analyst_$i\""
    if ! grep -qF "$pattern" "$CIAM_PGDATA/../server.log"; then
        echo "FAIL: no LOG line for the refusal of bench_analyst_$i"
        status=1
    fi
done
exit $status
