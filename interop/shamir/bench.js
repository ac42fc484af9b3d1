// Times split and combine of the npm package shamir-secret-sharing on
// 32-byte secrets with 5 shares and threshold 3, one call after another on
// one thread, for bench/shamir_vs_npm.sh.
//
//   node bench.js SPLIT_OPERATIONS COMBINE_OPERATIONS REPETITIONS
//
// The calls cycle through 2000 random secrets and their share sets (the
// first 3 of 5 shares). After a warm-up that lets the JIT compile both
// paths, it prints one line per repetition and operation:
// "split <operations per second>" and "combine <operations per second>".
'use strict';

const crypto = require('node:crypto');
const {split, combine} = require('shamir-secret-sharing');

const SECRET_BYTES = 32;
const SHARES = 5;
const THRESHOLD = 3;
const DISTINCT_SECRETS = 2000;
const WARMUP_OPERATIONS = 5000;

async function timeSplit(secrets, operations) {
  const start = process.hrtime.bigint();
  for (let i = 0; i < operations; i++) {
    await split(secrets[i % secrets.length], SHARES, THRESHOLD);
  }
  return Number(process.hrtime.bigint() - start) / 1e9;
}

async function timeCombine(shareSets, operations) {
  const start = process.hrtime.bigint();
  for (let i = 0; i < operations; i++) {
    await combine(shareSets[i % shareSets.length]);
  }
  return Number(process.hrtime.bigint() - start) / 1e9;
}

function positiveInteger(text, name) {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) {
    console.error(`${name} must be a positive integer, got "${text}"`);
    process.exit(2);
  }
  return value;
}

async function main() {
  const splitOperations = positiveInteger(process.argv[2], 'SPLIT_OPERATIONS');
  const combineOperations = positiveInteger(process.argv[3], 'COMBINE_OPERATIONS');
  const repetitions = positiveInteger(process.argv[4], 'REPETITIONS');

  const secrets = [];
  const shareSets = [];
  for (let i = 0; i < DISTINCT_SECRETS; i++) {
    const secret = new Uint8Array(crypto.randomBytes(SECRET_BYTES));
    secrets.push(secret);
    shareSets.push((await split(secret, SHARES, THRESHOLD)).slice(0, THRESHOLD));
  }
  await timeSplit(secrets, WARMUP_OPERATIONS);
  await timeCombine(shareSets, WARMUP_OPERATIONS);

  for (let r = 0; r < repetitions; r++) {
    const splitSeconds = await timeSplit(secrets, splitOperations);
    const combineSeconds = await timeCombine(shareSets, combineOperations);
    console.log(`split ${(splitOperations / splitSeconds).toFixed(0)}`);
    console.log(`combine ${(combineOperations / combineSeconds).toFixed(0)}`);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
