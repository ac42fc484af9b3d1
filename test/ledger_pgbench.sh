#!/usr/bin/env bash
# Eight analysts spend small budgets at once through pgbench: none may
# overspend, every released query must have its ledger row, the ledger must
# sum to the budget's spending, and no client may fail with anything but
# the budget error. The load version is bench/pgbench_ledger.sh; this runs
# it with budgets of 60 queries on the test cluster.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_EXISTING=1 BENCH_QUERIES=60 BENCH_BASELINE=0 bash "$here/bench/pgbench_ledger.sh"
