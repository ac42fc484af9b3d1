#!/usr/bin/env bash
# No value that factors a Paillier modulus stays in a backend's memory
# after decryption. A session encrypts and decrypts, then waits idle while
# gcore (from gdb) dumps its process; the dump is searched for the values
# that the private key and the decryption derive from p and q, none of
# which is stored in a table: p^2, q^2, h_p, h_q, p^-1 mod q, g^(p-1) mod
# p^2 and c^(p-1) mod p^2 (each minus 1 shares the factor p with n), and
# the same for q. Each is searched in GMP's limb order (little-endian) and
# in big-endian order. p and q themselves must not appear in limb order:
# their big-endian copies in shared buffers are table data (see
# docs/paillier.md). Controls: n, which the key cache keeps in limb order,
# and the ciphertext must be found, or the search proves nothing. The same
# session also fails to load a private key stored broken (q = p); the
# values loaded before the check failed must not stay in memory either.
# Runs against the cluster of scripts/test.sh (PGHOST, PGPORT, PGDATABASE).
set -euo pipefail

if ! command -v gcore >/dev/null; then
    echo "FAIL: gcore is missing; scripts/setup.sh installs gdb"
    exit 1
fi
work=$(mktemp -d)
chmod 755 "$work"
trap 'touch "$work/done"; sleep 0.5; rm -rf "$work"' EXIT

psql -X -q -A -t -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
SELECT ciam_privacy.paillier_drop_key(name) FROM ciam_privacy.paillier_key
WHERE name IN ('memory_key', 'memory_broken');
SELECT ciam_privacy.paillier_generate_key('memory_key', 2048);
SELECT ciam_privacy.paillier_generate_key('memory_broken', 2048);
SQL
psql -X -q -A -t -F ' ' -v ON_ERROR_STOP=1 >"$work/primes" <<'SQL'
SELECT ciam_privacy.paillier_bytes_to_numeric(p), ciam_privacy.paillier_bytes_to_numeric(q)
FROM ciam_privacy.paillier_private_key JOIN ciam_privacy.paillier_key USING (fingerprint)
WHERE name = 'memory_key'
SQL
# A stored private key that fails its check when loaded (q = p, so p has no
# inverse mod q): the error path must wipe what was loaded
psql -X -q -A -t -v ON_ERROR_STOP=1 >"$work/broken_prime" <<'SQL'
UPDATE ciam_privacy.paillier_private_key SET q = p
WHERE fingerprint = (SELECT fingerprint FROM ciam_privacy.paillier_key WHERE name = 'memory_broken');
SELECT ciam_privacy.paillier_bytes_to_numeric(p) FROM ciam_privacy.paillier_private_key
JOIN ciam_privacy.paillier_key USING (fingerprint) WHERE name = 'memory_broken';
SQL

# The session under test: its pid, a ciphertext, its decryption; then it
# stays connected and idle until the dump is taken
psql -X -q -A -t -v ON_ERROR_STOP=1 >"$work/session" 2>&1 <<SQL &
SELECT pg_backend_pid();
CREATE TEMP TABLE memory_cipher AS SELECT ciam_privacy.paillier_encrypt(123456789::bigint, 'memory_key') AS c;
SELECT ciam_privacy.paillier_ciphertext_value(c) FROM memory_cipher;
SELECT ciam_privacy.paillier_decrypt(c, 'memory_key') FROM memory_cipher;
\set ON_ERROR_STOP 0
SELECT ciam_privacy.paillier_decrypt(ciam_privacy.paillier_encrypt(1::bigint, 'memory_broken'), 'memory_broken');
\\! touch '$work/ready'; while [ ! -f '$work/done' ]; do sleep 0.2; done
SQL
for _ in $(seq 1 300); do
    [ -f "$work/ready" ] && break
    sleep 0.2
done
if [ ! -f "$work/ready" ]; then
    echo "FAIL: the session did not finish its decryption"
    cat "$work/session"
    exit 1
fi
pid=$(sed -n 1p "$work/session")
ciphertext=$(sed -n 2p "$work/session")
decrypted=$(sed -n 3p "$work/session")
if [ "$decrypted" != 123456789 ]; then
    echo "FAIL: decryption returned $decrypted"
    exit 1
fi
if ! gcore -o "$work/core" "$pid" >"$work/gcore.log" 2>&1; then
    if grep -q -i 'not permitted' "$work/gcore.log"; then
        # A container without CAP_SYS_PTRACE cannot attach to the backend
        echo "SKIP: ptrace is not permitted here, so the backend's memory cannot be dumped"
        exit 0
    fi
    echo "FAIL: gcore could not dump process $pid"
    cat "$work/gcore.log"
    exit 1
fi
touch "$work/done"

result=0
if ! grep -q 'stored private key of Paillier key "memory_broken" is invalid' "$work/session"; then
    echo "FAIL: the broken private key did not raise its error"
    cat "$work/session"
    exit 1
fi
node - "$work/primes" "$work/core.$pid" "$ciphertext" "$(cat "$work/broken_prime")" <<'JS' || result=$?
const fs = require('fs');
const [p, q] = fs.readFileSync(process.argv[2], 'utf8').trim().split(/\s+/).map(BigInt);
const core = fs.readFileSync(process.argv[3]);
const c = BigInt(process.argv[4]);
const brokenPrime = BigInt(process.argv[5]);
const n = p * q;

function modPow(base, exponent, modulus) {
  let result = 1n;
  base %= modulus;
  while (exponent > 0n) {
    if (exponent & 1n) result = (result * base) % modulus;
    base = (base * base) % modulus;
    exponent >>= 1n;
  }
  return result;
}
function modInverse(a, m) {
  let [oldR, r, oldS, s] = [a % m, m, 1n, 0n];
  while (r !== 0n) {
    const quotient = oldR / r;
    [oldR, r] = [r, oldR - quotient * r];
    [oldS, s] = [s, oldS - quotient * s];
  }
  return ((oldS % m) + m) % m;
}
function bigEndian(x) {
  let hex = x.toString(16);
  if (hex.length % 2) hex = '0' + hex;
  return Buffer.from(hex, 'hex');
}
// GMP limbs are 64-bit words, least significant first: on x86-64 and
// arm64 that is the little-endian byte string of the number
const limbOrder = (x) => Buffer.from(bigEndian(x)).reverse();
// The first 32 bytes are enough to identify a 1024-bit or larger value
const hits = (bytes) => {
  const needle = bytes.subarray(0, 32);
  let count = 0;
  for (let at = core.indexOf(needle); at >= 0; at = core.indexOf(needle, at + 1)) count++;
  return count;
};

const g = n + 1n;
const derived = {};
for (const [name, prime, other] of [['p', p, q], ['q', q, p]]) {
  const square = prime * prime;
  const lp = (modPow(g, prime - 1n, square) - 1n) / prime;
  derived[`${name}^2`] = square;
  derived[`h_${name}`] = modInverse(lp, prime);
  derived[`g^(${name}-1) mod ${name}^2`] = modPow(g, prime - 1n, square);
  derived[`c^(${name}-1) mod ${name}^2`] = modPow(c, prime - 1n, square);
}
derived['p^-1 mod q'] = modInverse(p, q);

let failures = 0;
const expectNone = (what, count) => {
  if (count > 0) {
    console.log(`FAIL: ${what} found ${count} times in the backend's memory`);
    failures++;
  } else {
    console.log(`ok: ${what} not found`);
  }
};
for (const [name, value] of Object.entries(derived)) {
  expectNone(`${name} (limb order)`, hits(limbOrder(value)));
  expectNone(`${name} (big-endian)`, hits(bigEndian(value)));
}
expectNone('p (limb order)', hits(limbOrder(p)));
expectNone('q (limb order)', hits(limbOrder(q)));
expectNone('p of the key that failed to load (limb order)', hits(limbOrder(brokenPrime)));
expectNone('p^2 of the key that failed to load (limb order)', hits(limbOrder(brokenPrime * brokenPrime)));
for (const [what, count] of [['control: n in limb order', hits(limbOrder(n))],
                             ['control: the ciphertext in big-endian', hits(bigEndian(c))]]) {
  if (count === 0) {
    console.log(`FAIL: ${what} not found, so the search proves nothing`);
    failures++;
  } else {
    console.log(`ok: ${what} found ${count} times`);
  }
}
process.exit(failures === 0 ? 0 : 1);
JS
rm -f "$work/core.$pid"
psql -X -q -A -t -c "SELECT ciam_privacy.paillier_drop_key(name) FROM ciam_privacy.paillier_key
                     WHERE name IN ('memory_key', 'memory_broken')" >/dev/null
exit $result
