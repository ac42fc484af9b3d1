#!/usr/bin/env bash
# Paillier primes must never reach pg_stat_statements or the server log.
# Restarts the test cluster with pg_stat_statements preloaded and tracking
# nested statements (pg_stat_statements.track = all, so the SPI queries of
# the extension are recorded too), then generates a key, imports a
# paillier-bigint private key (once with a wrong prime), encrypts and
# decrypts, and searches both places for the primes in decimal and in
# hexadecimal. Restores the settings and restarts the cluster at the end.
# Needs CIAM_PGDATA (set by cluster_start in scripts/cluster.sh).
set -euo pipefail

: "${CIAM_PGDATA:?set CIAM_PGDATA to the data directory of the test cluster}"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
pgbin=${CIAM_PGBIN:-/usr/lib/postgresql/15/bin}
log="$CIAM_PGDATA/../server.log"
database=paillier_statements
work=$(mktemp -d)

run_pg_ctl() {
    (cd / && runuser -u postgres -- "$pgbin/pg_ctl" -D "$CIAM_PGDATA" -l "$log" "$@")
}

restore() {
    psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $database" >/dev/null 2>&1 || true
    psql -X -q -d postgres -c "ALTER SYSTEM RESET pg_stat_statements.track" >/dev/null 2>&1 || true
    psql -X -q -d postgres -c "ALTER SYSTEM RESET shared_preload_libraries" >/dev/null 2>&1 || true
    run_pg_ctl -m fast -w restart >/dev/null || true
    rm -rf "$work"
}
trap restore EXIT

if [ ! -d "$here/interop/paillier/node_modules/paillier-bigint" ]; then
    echo "FAIL: paillier-bigint is not installed; run scripts/setup.sh (npm ci in interop/paillier)"
    exit 1
fi

psql -X -q -v ON_ERROR_STOP=1 -d postgres \
    -c "ALTER SYSTEM SET shared_preload_libraries = 'ciam_privacy', 'pg_stat_statements'"
run_pg_ctl -m fast -w restart >/dev/null
# The setting exists only once the library is loaded
psql -X -q -v ON_ERROR_STOP=1 -d postgres \
    -c "ALTER SYSTEM SET pg_stat_statements.track = 'all'" -c "SELECT pg_reload_conf()" >/dev/null
sleep 1
log_start=$(wc -c <"$log")
psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "CREATE DATABASE $database"
export PGDATABASE=$database

(cd "$here/interop/paillier" && node paillier_tool.js keygen 2048 random) >"$work/key.json"
field() {
    node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1]))[process.argv[2]])' "$work/key.json" "$1"
}
js_n=$(field n)
js_g=$(field g)
js_p=$(field p)
js_q=$(field q)
wrong_p=$(node -e 'console.log((BigInt(process.argv[1]) + 2n).toString())' "$js_p")

psql -X -q -A -t -v ON_ERROR_STOP=1 -v n="$js_n" -v g="$js_g" >/dev/null <<'SQL'
CREATE EXTENSION ciam_privacy;
CREATE EXTENSION pg_stat_statements;
SELECT ciam_privacy.paillier_generate_key('statements_db', 2048);
SELECT ciam_privacy.paillier_import_public_key('statements_js', :'n'::numeric, :'g'::numeric);
SQL
if psql -X -q -v ON_ERROR_STOP=1 -c "SELECT ciam_privacy.paillier_import_private_key('statements_js', '$wrong_p')" \
        >/dev/null 2>"$work/wrong.err"; then
    echo "FAIL: a wrong prime was accepted"
    exit 1
fi
psql -X -q -v ON_ERROR_STOP=1 -c "SELECT ciam_privacy.paillier_import_private_key('statements_js', '$js_p')" >/dev/null
decrypted=$(psql -X -q -A -t -v ON_ERROR_STOP=1 <<'SQL'
SELECT ciam_privacy.paillier_decrypt(ciam_privacy.paillier_encrypt(-42::bigint, 'statements_db'), 'statements_db')
     + ciam_privacy.paillier_decrypt(ciam_privacy.paillier_encrypt(50::bigint, 'statements_js'), 'statements_js');
SQL
)
if [ "$decrypted" != 8 ]; then
    echo "FAIL: decryption returned $decrypted, expected 8"
    exit 1
fi

# The primes of both keys, in decimal and in hexadecimal
primes=$(psql -X -q -A -t -v ON_ERROR_STOP=1 <<'SQL'
SELECT ciam_privacy.paillier_bytes_to_numeric(p)::text, encode(p, 'hex'),
       ciam_privacy.paillier_bytes_to_numeric(q)::text, encode(q, 'hex')
FROM ciam_privacy.paillier_private_key
SQL
)
patterns="$work/patterns"
for prime in $(tr '|' ' ' <<<"$primes") "$js_p" "$js_q" "$wrong_p"; do
    echo "${prime:0:32}"
done | sort -u >"$patterns"
echo "searching for $(wc -l <"$patterns") prime prefixes of 32 digits"
# Control: the patterns do find a prime where it is written out
if ! grep -q -F -f "$patterns" <<<"paillier_import_private_key('statements_js', '$js_p')"; then
    echo "FAIL: the prime patterns do not match the prime itself"
    exit 1
fi

statements=$(psql -X -q -A -t -v ON_ERROR_STOP=1 -c "SELECT query FROM pg_stat_statements")
recorded=$(grep -c 'paillier' <<<"$statements" || true)
echo "pg_stat_statements records $recorded statements that mention paillier"
if [ "$recorded" -lt 4 ]; then
    echo "FAIL: pg_stat_statements recorded too few statements to be a meaningful check"
    exit 1
fi
if ! grep -q 'paillier_private_key' <<<"$statements"; then
    echo "FAIL: the nested lookup of the private key was not recorded (track = all)"
    exit 1
fi
failures=0
if grep -q -F -f "$patterns" <<<"$statements"; then
    echo "FAIL: a prime appears in pg_stat_statements"
    failures=$((failures + 1))
else
    echo "ok: no prime in pg_stat_statements"
fi
log_tail=$(tail -c +"$((log_start + 1))" "$log")
if ! grep -q 'invalid Paillier private key' <<<"$log_tail"; then
    echo "FAIL: the rejected import is not in the server log, so the log check would prove nothing"
    failures=$((failures + 1))
elif grep -q -F -f "$patterns" <<<"$log_tail"; then
    echo "FAIL: a prime appears in the server log"
    failures=$((failures + 1))
else
    echo "ok: no prime in the server log ($(wc -l <<<"$log_tail") new lines)"
fi
[ "$failures" -eq 0 ]
