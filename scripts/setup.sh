#!/usr/bin/env bash
# Install what ciam_privacy needs on Debian 12, then build and install the
# extension into the system's PostgreSQL 15 (or the copy named by
# CIAM_PGBIN). Run as root. Safe to run again: packages already present are
# not fetched twice.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

if [ "$(id -u)" -ne 0 ]; then
    echo "setup.sh: run as root (it installs Debian packages and the extension)" >&2
    exit 1
fi

# gdb provides gcore, with which test/paillier_attack_memory.sh dumps a
# backend to search it for key material
packages=(postgresql-15 postgresql-server-dev-15 postgresql-contrib libssl-dev
          libgmp-dev pkg-config make gcc gdb)
missing=()
for package in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$package")
    fi
done

if [ "${#missing[@]}" -gt 0 ]; then
    # The project runs its own clusters; keep Debian from creating and
    # starting a default one on port 5432.
    mkdir -p /etc/postgresql-common
    if [ ! -f /etc/postgresql-common/createcluster.conf ]; then
        echo "create_main_cluster = false" > /etc/postgresql-common/createcluster.conf
    fi
    echo "setup.sh: installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# ---- Connection pooler tests (test/pooler_pgbouncer.sh) ----
# PgBouncer from Debian; the test starts its own instance on a Unix socket.
# Debian's packaged service is left as the package installs it.
if ! dpkg-query -W -f='${Status}' pgbouncer 2>/dev/null | grep -q "install ok installed"; then
    echo "setup.sh: installing pgbouncer"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pgbouncer >/dev/null
fi
# ---- end of the connection pooler block ----

pgbin=${CIAM_PGBIN:-/usr/lib/postgresql/15/bin}
export PATH="$pgbin:$PATH"
make -C "$here" -s PG_CONFIG="$pgbin/pg_config" ${CIAM_CFLAGS:+COPT="$CIAM_CFLAGS"}
make -C "$here" -s PG_CONFIG="$pgbin/pg_config" install >/dev/null
echo "setup.sh: ciam_privacy built and installed into PostgreSQL 15"

# ---- Node.js and the npm packages of the interoperability tests
# interop/shamir contains shamir-secret-sharing (test/shamir_npm_interop.sh,
# bench/shamir_vs_npm.sh); interop/paillier contains paillier-bigint
# (test/paillier_interop.sh, bench/paillier_vs_js.sh). Debian's nodejs and
# npm are installed only when node is missing, so that a node installed
# otherwise is left alone. npm ci runs again only when package-lock.json is
# newer than the installed tree. Without npm or a package, only the tests and
# benchmarks that need it fail, each with a message naming the cause.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "setup.sh: installing nodejs npm"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
fi
for interop in "$here/interop/shamir" "$here/interop/paillier"; do
    if ! command -v npm >/dev/null 2>&1; then
        echo "setup.sh: npm is missing; the tests in $interop will fail" >&2
    elif [ ! -f "$interop/node_modules/.package-lock.json" ] ||
         [ "$interop/package-lock.json" -nt "$interop/node_modules/.package-lock.json" ]; then
        if (cd "$interop" && npm ci --no-audit --no-fund --loglevel=error >/dev/null); then
            echo "setup.sh: npm packages installed in ${interop#"$here"/}"
        else
            echo "setup.sh: npm ci failed in ${interop#"$here"/}; its tests will fail" >&2
        fi
    fi
done
# ---- end of the Node.js block
