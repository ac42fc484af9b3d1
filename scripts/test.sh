#!/usr/bin/env bash
# Build and install ciam_privacy, start a private PostgreSQL 15 cluster, run
# the pg_regress suite and the programs under test/, and print one closing
# line "N passed, N failed". Run as root on Debian 12. Exits non-zero if any
# test failed.
#
# Environment:
#   CIAM_TEST_PORT  port of the test cluster (default 55433)
#   CIAM_CFLAGS     extra compiler flags for the build (CI passes -Werror)
#   CIAM_PGBIN      PostgreSQL 15 binaries to build for and run
#                   (default /usr/lib/postgresql/15/bin)
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$here"

bash scripts/setup.sh || { echo "0 passed, 1 failed"; exit 1; }

# shellcheck source=scripts/cluster.sh
source scripts/cluster.sh
port=${CIAM_TEST_PORT:-55433}
cluster_start test "$port" || { echo "0 passed, 1 failed"; exit 1; }
trap 'cluster_stop test' EXIT

# The programs under test/ share one database with the extension installed
export PGDATABASE=ciam_test
psql -X -q -d postgres -c "CREATE DATABASE ciam_test" &&
    psql -X -q -c "CREATE EXTENSION ciam_privacy" || { echo "0 passed, 1 failed"; exit 1; }

passed=0
failed=0

echo "== pg_regress"
rm -rf results regression.diffs regression.out
make -s PG_CONFIG="$CIAM_PGBIN/pg_config" installcheck >tmp/regress.log 2>&1
cat tmp/regress.log
# pg_regress 15 prints one line per test: "test NAME ... ok" or "... FAILED"
regress_ok=$(grep -cE '^(test | +)?[a-z_0-9]+ +\.\.\. ok' tmp/regress.log || true)
regress_failed=$(grep -cE '\.\.\. FAILED' tmp/regress.log || true)
passed=$((passed + regress_ok))
failed=$((failed + regress_failed))
if [ -f regression.diffs ]; then
    echo "== regression.diffs"
    cat regression.diffs
fi

for program in test/*.sh; do
    name=$(basename "$program" .sh)
    echo "== $name"
    if bash "$program"; then
        echo "ok: $name"
        passed=$((passed + 1))
    else
        echo "FAILED: $name"
        failed=$((failed + 1))
    fi
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
