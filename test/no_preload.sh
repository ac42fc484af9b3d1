#!/usr/bin/env bash
# Without shared_preload_libraries, no query passes through the charging
# hook, so the DP aggregates must raise an error instead of releasing an
# uncharged value. Starts its own cluster without the preload.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/cluster.sh
source "$here/scripts/cluster.sh"
port=$(( ${CIAM_TEST_PORT:-55433} + 1 ))
cluster_start nopreload "$port" ""
trap 'cluster_stop nopreload' EXIT
export PGDATABASE=postgres

output=$(psql -X -v ON_ERROR_STOP=0 2>&1 <<'SQL' || true
CREATE EXTENSION ciam_privacy;
SELECT ciam_privacy.set_budget(current_user::regrole, 10);
SELECT ciam_privacy.dp_count(1) FROM generate_series(1, 10);
SELECT ciam_privacy.dp_count(1) FROM generate_series(1, 10);
SELECT 'spent=' || epsilon_spent FROM ciam_privacy.budget_status();
SQL
)
echo "$output"

errors=$(grep -c 'ciam_privacy must be loaded through shared_preload_libraries' <<<"$output" || true)
if [ "$errors" -ne 2 ]; then
    echo "FAIL: expected two rejections for the missing preload, got $errors"
    exit 1
fi
if ! grep -q 'spent=0$' <<<"$output"; then
    echo "FAIL: a rejected query was charged"
    exit 1
fi
