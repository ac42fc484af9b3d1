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

packages=(postgresql-15 postgresql-server-dev-15 postgresql-contrib libssl-dev
          libgmp-dev pkg-config make gcc)
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

pgbin=${CIAM_PGBIN:-/usr/lib/postgresql/15/bin}
export PATH="$pgbin:$PATH"
make -C "$here" -s PG_CONFIG="$pgbin/pg_config" ${CIAM_CFLAGS:+COPT="$CIAM_CFLAGS"}
make -C "$here" -s PG_CONFIG="$pgbin/pg_config" install >/dev/null
echo "setup.sh: ciam_privacy built and installed into PostgreSQL 15"

# --- Paillier interoperability (interop/paillier) ---------------------------
# test/paillier_interop.sh and bench/paillier_vs_js.sh run the npm package
# paillier-bigint with Node.js. Install Debian's nodejs and npm only if no
# node is on PATH, then the locked dependencies with npm ci.
if ! command -v node >/dev/null 2>&1; then
    echo "setup.sh: installing nodejs and npm for interop/paillier"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
fi
if [ ! -d "$here/interop/paillier/node_modules/paillier-bigint" ] ||
   [ "$here/interop/paillier/package-lock.json" -nt "$here/interop/paillier/node_modules" ]; then
    (cd "$here/interop/paillier" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi
# --- end of Paillier interoperability ----------------------------------------
