import test from 'ava';
import fc from 'fast-check';
import { BASE45_ALPHABET, decodeBase45, encodeBase45 } from '../shared/token/base45.ts';
import { newOrderCode, normalizeOrderCode, orderCodeFromBytes, orderCodeToBytes } from '../shared/token/order-code.ts';
import {
  generateSigningKey,
  signRedemptionToken,
  TOKEN_BYTES,
  verifyRedemptionToken,
} from '../shared/token/redemption-token.ts';

const NOW = Date.UTC(2026, 5, 1, 12, 0);
const HOUR_MS = 3_600_000;

test('base45 matches RFC 9285 examples', (t) => {
  t.is(encodeBase45(Buffer.from('AB')), 'BB8');
  t.is(encodeBase45(Buffer.from('Hello!!')), '%69 VD92EX0');
  t.is(encodeBase45(Buffer.from('base-45')), 'UJCLQE7W581');
  t.is(Buffer.from(decodeBase45('QED8WEX0')!).toString(), 'ietf!');
  t.is(decodeBase45('GGW'), null, 'value above 65535 is invalid');
  t.is(decodeBase45('AB'), null, 'a 2-character group above 255 is invalid');
  t.is(decodeBase45('a00'), null, 'lower case is not in the alphabet');
  t.is(decodeBase45('0000'), null, 'length 3k+1 is invalid');
});

test('base45 round-trips any bytes', (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      const text = encodeBase45(bytes);
      for (const c of text) if (!BASE45_ALPHABET.includes(c)) return false;
      return Buffer.from(decodeBase45(text)!).equals(Buffer.from(bytes));
    }),
    { numRuns: 2000 },
  );
  t.pass();
});

test('order codes are 8 Crockford characters and round-trip', (t) => {
  const code = newOrderCode();
  t.regex(code, /^[0-9A-HJKMNP-TV-Z]{8}$/);
  t.is(orderCodeFromBytes(orderCodeToBytes(code)!), code);
  t.is(orderCodeToBytes('ILOU0000'), null);
  t.is(orderCodeFromBytes(new Uint8Array([0, 0, 0, 0, 0])), '00000000');
  t.is(orderCodeFromBytes(new Uint8Array([255, 255, 255, 255, 255])), 'ZZZZZZZZ');
});

test('a typed order code is normalised: case, spaces and dashes, Crockford aliases; anything else is not a code', (t) => {
  for (const typed of ['7K2M109Q', '7k2m-109q', ' 7K2M 109Q\n', '7K2M-lO9Q', '7k2m-iO9q', '7 K 2 M 1 0 9 Q']) {
    t.is(normalizeOrderCode(typed), '7K2M109Q', JSON.stringify(typed));
  }
  for (const typed of ['7K2M109', '7K2M109QX', '7K2M1U9Q', '7K2M_09Q', '', '--------']) {
    t.is(normalizeOrderCode(typed), null, JSON.stringify(typed));
  }
  const token = signRedemptionToken(newOrderCode(), NOW + 60_000, generateSigningKey(1));
  t.is(normalizeOrderCode(token), null, 'a scanned token is never taken for a typed code');
  const code = newOrderCode();
  t.is(normalizeOrderCode(code.toLowerCase()), code);
});

test('a token signs and verifies offline, fits a QR in alphanumeric mode', (t) => {
  const key = generateSigningKey(3);
  const code = newOrderCode();
  const token = signRedemptionToken(code, NOW + 48 * HOUR_MS, key);
  t.true(token.length <= 110, `token is ${token.length} characters`);
  t.regex(token, /^[0-9A-Z $%*+\-./:]+$/);
  const result = verifyRedemptionToken(token, new Map([[3, key.publicKey]]), NOW);
  t.true(result.ok);
  if (result.ok) {
    t.is(result.claims.orderCode, code);
    t.is(result.claims.keyId, 3);
    t.is(result.claims.expiresAt, NOW + 48 * HOUR_MS);
  }
  // Scanners may add whitespace or type lower case.
  t.true(verifyRedemptionToken(`  ${token.toLowerCase()}\n`, new Map([[3, key.publicKey]]), NOW).ok);
});

test('tampered, expired, foreign-key and garbage tokens are rejected with a reason', (t) => {
  const key = generateSigningKey(1);
  const other = generateSigningKey(1);
  const keys = new Map([[1, key.publicKey]]);
  const token = signRedemptionToken(newOrderCode(), NOW + HOUR_MS, key);

  const expired = verifyRedemptionToken(token, keys, NOW + HOUR_MS);
  t.deepEqual(expired.ok ? null : expired.reason, 'expired');

  const foreign = verifyRedemptionToken(signRedemptionToken(newOrderCode(), NOW + HOUR_MS, other), keys, NOW);
  t.deepEqual(foreign.ok ? null : foreign.reason, 'bad_signature');

  const unknownKey = verifyRedemptionToken(
    signRedemptionToken(newOrderCode(), NOW + HOUR_MS, generateSigningKey(7)),
    keys,
    NOW,
  );
  t.deepEqual(unknownKey.ok ? null : unknownKey.reason, 'unknown_key');

  for (const bad of ['', 'HELLO', token.slice(0, -3), `${token}000`, 'ÄÖÜ'.repeat(40), 'x'.repeat(5000)]) {
    const r = verifyRedemptionToken(bad, keys, NOW);
    t.false(r.ok, `accepted ${bad.slice(0, 20)}`);
  }
});

test('every single-byte change to a token is rejected', (t) => {
  const key = generateSigningKey(2);
  const keys = new Map([[2, key.publicKey]]);
  const bytes = decodeBase45(signRedemptionToken(newOrderCode(), NOW + HOUR_MS, key))!;
  t.is(bytes.length, TOKEN_BYTES);
  for (let i = 0; i < bytes.length; i++) {
    for (const flip of [1, 0x80]) {
      const copy = Uint8Array.from(bytes);
      copy[i]! ^= flip;
      t.false(verifyRedemptionToken(encodeBase45(copy), keys, NOW).ok, `byte ${i} flip ${flip}`);
    }
  }
});

test('random text never verifies and never throws', (t) => {
  const key = generateSigningKey(0);
  const keys = new Map([[0, key.publicKey]]);
  fc.assert(
    fc.property(fc.string({ maxLength: 300 }), (s) => !verifyRedemptionToken(s, keys, NOW).ok),
    { numRuns: 20_000 },
  );
  fc.assert(
    fc.property(fc.uint8Array({ minLength: TOKEN_BYTES, maxLength: TOKEN_BYTES }), (b) => {
      return !verifyRedemptionToken(encodeBase45(b), keys, NOW).ok;
    }),
    { numRuns: 5_000 },
  );
  t.pass();
});
