// Command-line side of the interoperability test and benchmark: runs the
// npm package paillier-bigint on keys and ciphertexts exchanged with
// ciam_privacy as JSON, with every integer as a decimal string.
//
//   node paillier_tool.js keygen BITS simple|random   key pair as JSON
//   node paillier_tool.js jwk KEYFILE                 python-paillier JWK of the public key
//   node paillier_tool.js encrypt KEYFILE             [values] on stdin -> [ciphertexts]
//   node paillier_tool.js add KEYFILE                 [ciphertexts] -> ciphertext of the sum
//   node paillier_tool.js decrypt KEYFILE             [ciphertexts] -> [values]
//   node paillier_tool.js bench KEYFILE COUNT         timings of encrypt, add and decrypt
//
// Values are signed: a plaintext m is read as m if m <= max_int and as
// m - n if m >= n - max_int, with max_int = floor(n / 3) - 1, the encoding
// of python-paillier and ciam_privacy; anything between is an overflow.
import { readFileSync } from 'node:fs';
import * as paillier from 'paillier-bigint';

function readStdinJson() {
  return JSON.parse(readFileSync(0, 'utf8'));
}

function loadKeys(file) {
  const key = JSON.parse(readFileSync(file, 'utf8'));
  const n = BigInt(key.n);
  const publicKey = new paillier.PublicKey(n, BigInt(key.g));
  let privateKey = null;
  if (key.lambda !== undefined) {
    privateKey = new paillier.PrivateKey(BigInt(key.lambda), BigInt(key.mu), publicKey,
      BigInt(key.p), BigInt(key.q));
  }
  return { n, publicKey, privateKey };
}

function encode(n, value) {
  const m = BigInt(value);
  const maxInt = n / 3n - 1n;
  if (m > maxInt || -m > maxInt) {
    throw new RangeError(`value ${value} is out of range for this key`);
  }
  return m < 0n ? m + n : m;
}

function decode(n, m) {
  const maxInt = n / 3n - 1n;
  if (m <= maxInt) return m;
  if (m >= n - maxInt) return m - n;
  throw new RangeError('plaintext overflow: the value lies between the two bands');
}

// Encode a non-negative integer as unpadded base64url of its big-endian bytes.
function base64url(value) {
  let hex = value.toString(16);
  if (hex.length % 2) hex = '0' + hex;
  return Buffer.from(hex, 'hex').toString('base64url');
}

function requireArgument(value, what) {
  if (value === undefined) {
    console.error(`paillier_tool.js: missing ${what}`);
    process.exit(2);
  }
  return value;
}

const [command, ...args] = process.argv.slice(2);
switch (command) {
  case 'keygen': {
    const bits = Number(requireArgument(args[0], 'BITS'));
    const simple = requireArgument(args[1], 'simple|random') === 'simple';
    const { publicKey, privateKey } = paillier.generateRandomKeysSync(bits, simple);
    console.log(JSON.stringify({
      n: publicKey.n.toString(),
      g: publicKey.g.toString(),
      lambda: privateKey.lambda.toString(),
      mu: privateKey.mu.toString(),
      p: privateKey._p.toString(),
      q: privateKey._q.toString(),
    }));
    break;
  }
  case 'jwk': {
    const { n, publicKey } = loadKeys(requireArgument(args[0], 'KEYFILE'));
    if (publicKey.g !== n + 1n) throw new RangeError('the JWK form (PAI-GN1) needs g = n + 1');
    console.log(JSON.stringify({ kty: 'DAJ', alg: 'PAI-GN1', key_ops: ['encrypt'], n: base64url(n), kid: 'paillier-bigint' }));
    break;
  }
  case 'encrypt': {
    const { n, publicKey } = loadKeys(requireArgument(args[0], 'KEYFILE'));
    console.log(JSON.stringify(readStdinJson().map((v) => publicKey.encrypt(encode(n, v)).toString())));
    break;
  }
  case 'add': {
    const { publicKey } = loadKeys(requireArgument(args[0], 'KEYFILE'));
    console.log(JSON.stringify(publicKey.addition(...readStdinJson().map(BigInt)).toString()));
    break;
  }
  case 'decrypt': {
    const { n, privateKey } = loadKeys(requireArgument(args[0], 'KEYFILE'));
    console.log(JSON.stringify(readStdinJson().map((c) => decode(n, privateKey.decrypt(BigInt(c))).toString())));
    break;
  }
  case 'bench': {
    const { n, publicKey, privateKey } = loadKeys(requireArgument(args[0], 'KEYFILE'));
    const count = Number(requireArgument(args[1], 'COUNT'));
    const seconds = (start) => Number(process.hrtime.bigint() - start) / 1e9;
    let start = process.hrtime.bigint();
    const ciphertexts = [];
    for (let i = 0; i < count; i++) ciphertexts.push(publicKey.encrypt(encode(n, i - count / 2)));
    const encryptSeconds = seconds(start);
    // Additions: one running product over many ciphertexts, as a sum does
    const additions = count * 200;
    start = process.hrtime.bigint();
    let sum = 1n;
    for (let i = 0; i < additions; i++) sum = publicKey.addition(sum, ciphertexts[i % count]);
    const addSeconds = seconds(start);
    start = process.hrtime.bigint();
    for (let i = 0; i < count; i++) privateKey.decrypt(ciphertexts[i]);
    const decryptSeconds = seconds(start);
    console.log(JSON.stringify({
      encrypt_per_second: count / encryptSeconds,
      add_microseconds: (addSeconds / additions) * 1e6,
      decrypt_per_second: count / decryptSeconds,
    }));
    break;
  }
  default:
    console.error('usage: node paillier_tool.js keygen|jwk|encrypt|add|decrypt|bench ...');
    process.exit(2);
}
