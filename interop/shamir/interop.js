// Cross-checks ciam_privacy's Shamir shares against the npm package
// shamir-secret-sharing (privy-io), which uses Vault's byte format.
//
//   node interop.js split     Splits random secrets with the npm package and
//                             prints one tab-separated line per case:
//                             secret, threshold, a shuffled subset of
//                             threshold shares, all shares (hex, with commas
//                             between shares).
//   node interop.js combine   Reads lines "secret<TAB>shares" (hex, with
//                             commas between shares) from stdin, combines each
//                             with the npm package and exits 1 if any result
//                             differs from its secret.
'use strict';

const crypto = require('node:crypto');
const readline = require('node:readline');
const {split, combine} = require('shamir-secret-sharing');

// Lengths straddle the 8-byte lanes of the C code; (threshold, shares) pairs
// reach both limits of the format.
const SECRET_LENGTHS = [1, 2, 7, 8, 9, 31, 32, 33, 64, 1000];
const THRESHOLD_SHARE_PAIRS = [[2, 2], [2, 3], [3, 5], [5, 5], [10, 20], [255, 255]];

function toHex(bytes) {
  return Buffer.from(bytes).toString('hex');
}

function fromHex(text) {
  if (!/^([0-9a-f]{2})+$/.test(text)) {
    throw new Error(`invalid hex string of length ${text.length}`);
  }
  return new Uint8Array(Buffer.from(text, 'hex'));
}

// Returns count elements of items in random order, without repetition.
function randomSubset(items, count) {
  const pool = items.slice();
  for (let i = 0; i < count; i++) {
    const j = i + crypto.randomInt(pool.length - i);
    [pool[i], pool[j]] = [pool[j], pool[i]];
  }
  return pool.slice(0, count);
}

// Returns a random secret of the given length. Every third secret gets zero
// bytes at both ends, which a correct implementation must keep.
function makeSecret(length, caseNumber) {
  const secret = new Uint8Array(crypto.randomBytes(length));
  if (caseNumber % 3 === 0) {
    secret[0] = 0;
    secret[length - 1] = 0;
  }
  return secret;
}

async function splitCases() {
  let caseNumber = 0;
  for (const length of SECRET_LENGTHS) {
    for (const [threshold, shares] of THRESHOLD_SHARE_PAIRS) {
      const secret = makeSecret(length, caseNumber++);
      const all = await split(secret, shares, threshold);
      const subset = randomSubset(all, threshold);
      process.stdout.write([
        toHex(secret),
        threshold,
        subset.map(toHex).join(','),
        all.map(toHex).join(','),
      ].join('\t') + '\n');
    }
  }
}

async function combineCases() {
  const lines = readline.createInterface({input: process.stdin, crlfDelay: Infinity});
  let cases = 0;
  let mismatches = 0;
  for await (const line of lines) {
    if (line === '') {
      continue;
    }
    const [secretHex, sharesText] = line.split('\t');
    const shares = sharesText.split(',').map(fromHex);
    const combined = toHex(await combine(shares));
    cases++;
    if (combined !== secretHex) {
      mismatches++;
      console.error(`case ${cases}: ${shares.length} shares of a ` +
                    `${secretHex.length / 2}-byte secret combine to a different value`);
    }
  }
  console.log(`npm combine: ${cases} cases, ${mismatches} mismatches`);
  if (cases === 0 || mismatches > 0) {
    process.exit(1);
  }
}

async function main() {
  const mode = process.argv[2];
  if (mode === 'split') {
    await splitCases();
  } else if (mode === 'combine') {
    await combineCases();
  } else {
    console.error('usage: node interop.js split | combine');
    process.exit(2);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
