import test from 'ava';
import fc from 'fast-check';
import QRCode from 'qrcode';
import { type CoordinatorClient, CoordinatorError } from '../edge-node/coordinator-client.ts';
import { RedemptionService, type RedemptionServiceOptions } from '../edge-node/jobs/redemption-service.ts';
import { createLocalApi } from '../edge-node/status/local-api.ts';
import { isAppError } from '../shared/errors.ts';
import { ManualClock } from '../shared/ports/clock.ts';
import { signPrinterRequest, verifyPrinterRequest } from '../shared/protocol/printer-auth.ts';
import { decodeQrFromRgba } from '../shared/qr/decode-qr.ts';
import { BASE45_ALPHABET, decodeBase45, encodeBase45 } from '../shared/token/base45.ts';
import { normalizeOrderCode, orderCodeFromBytes, orderCodeToBytes } from '../shared/token/order-code.ts';
import {
  generateSigningKey,
  normalizeRedemptionCode,
  signRedemptionToken,
  TOKEN_BYTES,
  TOKEN_EPOCH_MS,
  verifyRedemptionToken,
} from '../shared/token/redemption-token.ts';
import { newPrinterKeys } from './fixtures/app-harness.ts';
import { inject } from './fixtures/inject.ts';

/**
 * Redemption tokens, order codes, Base45, printer request signatures and QR frames, as a scanner,
 * a keyboard wedge or an attacker would hand them over: nothing throws except coded errors, and
 * nothing verifies that was not signed by the key that verifies it.
 */

const NOW = Date.UTC(2026, 5, 1);
const KEY = generateSigningKey(3);
const OTHER_KEY = generateSigningKey(3);
const KEYS = new Map([[3, KEY.publicKey]]);
const CODE = orderCodeFromBytes(Uint8Array.from([1, 2, 3, 4, 5]));
const GENUINE = signRedemptionToken(CODE, NOW + 3_600_000, KEY);

const RUNS = {
  tokenText: 20_000,
  tokenBytes: 10_000,
  tokenMutations: 20_000,
  tokenForeignKey: 2_000,
  tokenGenuine: 2_000,
  base45: 10_000,
  orderCode: 10_000,
  typedCode: 10_000,
  printerSignature: 10_000,
  qrFrames: 3_000,
  qrRoundTrip: 150,
  edgeRedeem: 5_000,
  localApi: 3_000,
};

const base45Text = (maxLength: number) => fc.string({ unit: fc.constantFrom(...BASE45_ALPHABET), maxLength });

/** A token text that verified: it must be the genuine one, give or take case and surrounding spaces. */
function isGenuine(text: string): boolean {
  return normalizeRedemptionCode(text) === GENUINE;
}

test('token text: arbitrary strings and Base45 strings never throw and never verify', (t) => {
  let runs = 0;
  fc.assert(
    fc.property(
      fc.oneof(
        fc.string({ maxLength: 300 }),
        fc.string({ unit: 'grapheme', maxLength: 120 }),
        base45Text(240),
        fc.string({ unit: fc.constantFrom(...BASE45_ALPHABET), minLength: 110, maxLength: 110 }),
      ),
      (text) => {
        runs++;
        const v = verifyRedemptionToken(text, KEYS, NOW);
        return !v.ok || isGenuine(text);
      },
    ),
    { numRuns: RUNS.tokenText },
  );
  // Whatever a JSON body may carry where a string is expected.
  for (const odd of [null, undefined, 42, {}, [], ['x'], true, Symbol('x')]) {
    t.false(verifyRedemptionToken(odd as unknown as string, KEYS, NOW).ok);
    runs++;
  }
  t.is(runs, RUNS.tokenText + 8);
  t.log(`${runs} cases`);
});

test('token bytes: any 73 bytes in Base45, any version and key id, never verify', (t) => {
  let runs = 0;
  fc.assert(
    fc.property(fc.uint8Array({ minLength: TOKEN_BYTES, maxLength: TOKEN_BYTES }), fc.nat(31), (bytes, keyId) => {
      runs++;
      bytes[0] = (1 << 5) | keyId; // a current version header, so the signature check is reached
      const v = verifyRedemptionToken(encodeBase45(bytes), new Map([[keyId, KEY.publicKey]]), NOW);
      return !v.ok && ['bad_signature', 'unknown_key'].includes(v.reason);
    }),
    { numRuns: RUNS.tokenBytes },
  );
  t.is(runs, RUNS.tokenBytes);
  t.log(`${runs} cases`);
});

test('token mutations: every edit of a genuine token is refused with a reason, except case and spaces', (t) => {
  let runs = 0;
  const edit = fc.oneof(
    fc.record({ kind: fc.constant('replace' as const), at: fc.nat(200), char: fc.constantFrom(...BASE45_ALPHABET) }),
    fc.record({ kind: fc.constant('insert' as const), at: fc.nat(200), char: fc.string({ maxLength: 2 }) }),
    fc.record({ kind: fc.constant('delete' as const), at: fc.nat(200), char: fc.constant('') }),
    fc.record({ kind: fc.constant('swap' as const), at: fc.nat(200), char: fc.constant('') }),
    fc.record({ kind: fc.constant('wrap' as const), at: fc.nat(3), char: fc.constantFrom(' ', '\n', '\t', '\r\n') }),
    fc.record({ kind: fc.constant('lower' as const), at: fc.nat(200), char: fc.constant('') }),
  );
  fc.assert(
    fc.property(fc.array(edit, { minLength: 1, maxLength: 4 }), (edits) => {
      runs++;
      let text = GENUINE;
      for (const e of edits) {
        const i = e.at % (text.length + 1);
        if (e.kind === 'replace') text = text.slice(0, i) + e.char + text.slice(i + 1);
        else if (e.kind === 'insert') text = text.slice(0, i) + e.char + text.slice(i);
        else if (e.kind === 'delete') text = text.slice(0, i) + text.slice(i + 1);
        else if (e.kind === 'swap' && i + 1 < text.length)
          text = text.slice(0, i) + text[i + 1] + text[i] + text.slice(i + 2);
        else if (e.kind === 'wrap') text = e.char + text + e.char;
        else if (e.kind === 'lower') text = text.toLowerCase();
      }
      const v = verifyRedemptionToken(text, KEYS, NOW);
      if (v.ok) return isGenuine(text) && v.claims.orderCode === CODE;
      return typeof v.message === 'string' && v.message.length > 0;
    }),
    { numRuns: RUNS.tokenMutations },
  );
  t.is(runs, RUNS.tokenMutations);
  t.log(`${runs} cases`);
});

test("tokens signed by another system's key with the same key id never verify", (t) => {
  let runs = 0;
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 5, maxLength: 5 }),
      fc.integer({ min: 1, max: 10_000_000 }),
      (b, minutes) => {
        runs++;
        const forged = signRedemptionToken(orderCodeFromBytes(b), NOW + minutes * 60_000, OTHER_KEY);
        const v = verifyRedemptionToken(forged, KEYS, NOW);
        return !v.ok && v.reason === 'bad_signature';
      },
    ),
    { numRuns: RUNS.tokenForeignKey },
  );
  t.is(runs, RUNS.tokenForeignKey);
  t.log(`${runs} cases`);
});

test('every genuine token verifies, whatever its key id, code and expiry, also with blanks around it', (t) => {
  const keys = Array.from({ length: 32 }, (_, id) => generateSigningKey(id));
  const publicKeys = new Map(keys.map((k) => [k.keyId, k.publicKey]));
  let runs = 0;
  let leadingSpace = 0;
  fc.assert(
    fc.property(
      fc.nat(31),
      fc.uint8Array({ minLength: 5, maxLength: 5 }),
      // Any expiry the format can hold that is still ahead of NOW.
      fc.integer({ min: 1, max: 0xffffff - Math.ceil((NOW - Date.UTC(2025, 0, 1)) / 60_000) - 1 }),
      fc.constantFrom('', ' ', '\n', '\r\n', '\t', '  '),
      fc.constantFrom('', ' ', '\n', '\r\n', '\t'),
      (keyId, code, minutes, before, after) => {
        runs++;
        const token = signRedemptionToken(orderCodeFromBytes(code), NOW + minutes * 60_000, keys[keyId]!);
        if (token.startsWith(' ')) leadingSpace++;
        const v = verifyRedemptionToken(before + token.toLowerCase() + after, publicKeys, NOW);
        return v.ok && v.claims.orderCode === orderCodeFromBytes(code) && v.claims.keyId === keyId;
      },
    ),
    { numRuns: RUNS.tokenGenuine },
  );
  t.is(runs, RUNS.tokenGenuine);
  t.log(`${runs} cases, ${leadingSpace} of them tokens that start with a space`);
});

test('a token whose Base45 text starts with a space verifies, as typed by a scanner with a line ending', (t) => {
  // Key 3, expiry minute 31 × 65536 (Nov 2028): the first two bytes are ≡ 36 (space) mod 45.
  const expiresAt = TOKEN_EPOCH_MS + 31 * 65_536 * 60_000;
  const token = signRedemptionToken(CODE, expiresAt, KEY);
  t.true(token.startsWith(' '));
  for (const typed of [token, `${token}\r\n`, `\n${token}`, ` ${token} `, token.toLowerCase()]) {
    const v = verifyRedemptionToken(typed, KEYS, NOW);
    t.true(v.ok, JSON.stringify(typed.slice(0, 4)));
  }
  t.false(verifyRedemptionToken(token.trim(), KEYS, NOW).ok, 'the space is part of the code');
});

test('Base45 decoding never throws, and what decodes re-encodes to the same text', (t) => {
  let runs = 0;
  fc.assert(
    fc.property(fc.oneof(fc.string({ maxLength: 60 }), base45Text(60)), (text) => {
      runs++;
      const bytes = decodeBase45(text);
      return bytes === null || encodeBase45(bytes) === text;
    }),
    { numRuns: RUNS.base45 },
  );
  t.is(runs, RUNS.base45);
  t.log(`${runs} cases`);
});

test('order codes: any text parses to null or to 5 bytes that print back as the same code', (t) => {
  let runs = 0;
  fc.assert(
    fc.property(
      fc.oneof(
        fc.string({ maxLength: 12 }),
        fc.string({ unit: fc.constantFrom(...'0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZilou'), minLength: 8, maxLength: 8 }),
      ),
      (text) => {
        runs++;
        const bytes = orderCodeToBytes(text);
        return bytes === null || (bytes.length === 5 && orderCodeFromBytes(bytes) === text);
      },
    ),
    { numRuns: RUNS.orderCode },
  );
  t.is(runs, RUNS.orderCode);
  t.log(`${runs} cases`);
});

test('typed order codes: any text gives null or a canonical code that normalizes to itself', (t) => {
  let runs = 0;
  fc.assert(
    fc.property(
      fc.oneof(
        fc.string({ maxLength: 40 }),
        fc.string({ unit: fc.constantFrom(...'0123456789abcdefghijklmnopqrstuvwxyzOIL -'), maxLength: 14 }),
      ),
      (text) => {
        runs++;
        const code = normalizeOrderCode(text);
        return code === null || (/^[0-9A-HJKMNP-TV-Z]{8}$/.test(code) && normalizeOrderCode(code) === code);
      },
    ),
    { numRuns: RUNS.typedCode },
  );
  t.is(runs, RUNS.typedCode);
  t.log(`${runs} cases`);
});

test('printer request signatures: arbitrary headers never throw and never verify; any edit of a signed request fails', (t) => {
  const printer = newPrinterKeys();
  const body = Buffer.from('{"token":"X"}');
  const signed = signPrinterRequest(printer.keyPair, 'POST', '/api/printer/redeem', body, NOW);
  const headerValue = fc.oneof(
    fc.constant(undefined),
    fc.string({ maxLength: 140 }),
    fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 64, maxLength: 128 }),
    fc.array(fc.string({ maxLength: 10 }), { maxLength: 3 }),
  );
  let runs = 0;
  fc.assert(
    fc.property(
      fc.record({
        'x-vpm-printer': fc.oneof(headerValue, fc.constant(signed['x-vpm-printer'])),
        'x-vpm-timestamp': fc.oneof(headerValue, fc.constant(signed['x-vpm-timestamp']), fc.integer().map(String)),
        'x-vpm-signature': fc.oneof(headerValue, fc.constant(signed['x-vpm-signature'])),
      }),
      fc.constantFrom('POST', 'GET', 'post'),
      fc.constantFrom('/api/printer/redeem', '/api/printer/redeem?', '/api/printer/me'),
      fc.oneof(fc.constant(body), fc.uint8Array({ maxLength: 20 })),
      (headers, method, path, bytes) => {
        runs++;
        const check = verifyPrinterRequest(headers, method, path, bytes, NOW);
        if (!check.ok) return true;
        // Only the exact signed request verifies (the method is case-folded by design).
        return (
          headers['x-vpm-printer'] === signed['x-vpm-printer'] &&
          headers['x-vpm-timestamp'] === signed['x-vpm-timestamp'] &&
          headers['x-vpm-signature'] === signed['x-vpm-signature'] &&
          method.toUpperCase() === 'POST' &&
          path === '/api/printer/redeem' &&
          Buffer.compare(Buffer.from(bytes), body) === 0
        );
      },
    ),
    { numRuns: RUNS.printerSignature },
  );
  t.is(runs, RUNS.printerSignature);
  t.log(`${runs} cases`);
});

test('QR frames: any pixels and any claimed size give text, null or a coded error', (t) => {
  let runs = 0;
  fc.assert(
    fc.property(
      fc.oneof(
        // Frames whose size matches: random pixels rarely hold a code, and must not crash the decoder.
        fc
          .tuple(fc.integer({ min: 0, max: 24 }), fc.integer({ min: 0, max: 24 }))
          .chain(([w, h]) =>
            fc.tuple(fc.uint8Array({ minLength: w * h * 4, maxLength: w * h * 4 }), fc.constant(w), fc.constant(h)),
          ),
        // Empty frames claiming a huge other edge (jsQR used to walk all 2^40 rows).
        fc.constantFrom<[Uint8Array, number, number]>(
          [new Uint8Array(0), 0, 2 ** 40],
          [new Uint8Array(0), 2 ** 40, 0],
          [new Uint8Array(0), -0, 7],
        ),
        // Frames that lie about their size.
        fc.tuple(
          fc.uint8Array({ maxLength: 64 }),
          fc.oneof(fc.integer({ min: -5, max: 40 }), fc.double(), fc.constant(2 ** 40)),
          fc.oneof(fc.integer({ min: -5, max: 40 }), fc.double(), fc.constant(2 ** 40)),
        ),
      ),
      ([rgba, w, h]) => {
        runs++;
        try {
          const text = decodeQrFromRgba(rgba, w, h);
          return text === null || typeof text === 'string';
        } catch (err) {
          return isAppError(err) && err.code === 'qr_frame_malformed' && err.status === 400;
        }
      },
    ),
    { numRuns: RUNS.qrFrames },
  );
  t.is(runs, RUNS.qrFrames);
  t.log(`${runs} cases`);
});

test('QR round trip: any Base45 payload rendered as a QR code decodes to itself', async (t) => {
  let runs = 0;
  await fc.assert(
    fc.asyncProperty(
      base45Text(120).filter((s) => s.length > 0),
      async (text) => {
        runs++;
        const qr = QRCode.create([{ data: text, mode: 'alphanumeric' }], { errorCorrectionLevel: 'M' });
        const scale = 3;
        const margin = 4;
        const side = (qr.modules.size + 2 * margin) * scale;
        const rgba = new Uint8Array(side * side * 4).fill(255);
        for (let y = 0; y < qr.modules.size; y++) {
          for (let x = 0; x < qr.modules.size; x++) {
            if (!qr.modules.get(x, y)) continue;
            for (let dy = 0; dy < scale; dy++) {
              for (let dx = 0; dx < scale; dx++) {
                const i = (((y + margin) * scale + dy) * side + (x + margin) * scale + dx) * 4;
                rgba[i] = rgba[i + 1] = rgba[i + 2] = 0;
              }
            }
          }
        }
        return decodeQrFromRgba(rgba, side, side) === text;
      },
    ),
    { numRuns: RUNS.qrRoundTrip },
  );
  t.is(runs, RUNS.qrRoundTrip);
  t.log(`${runs} cases`);
});

/**
 * The edge node's redemption entry point. Its coordinator client answers a typed order code (8
 * characters, no signature: only the coordinator can tell whether it is an order) with "unknown
 * order", and fails the test if a scanned token that does not verify reaches it.
 */
function edgeRedemptions(): { service: RedemptionService; reachedCoordinator: () => number } {
  let reached = 0;
  const client = {
    redeem: async () => {
      reached++;
      throw new Error('a code that does not verify must not reach the coordinator');
    },
    redeemCode: async () => {
      throw new CoordinatorError(404, 'order_not_found', 'No order with this code.');
    },
  } as unknown as CoordinatorClient;
  const unused = new Proxy(
    {},
    {
      get: () => {
        throw new Error('not used before a code verifies');
      },
    },
  );
  const options: RedemptionServiceOptions = {
    client,
    tokenKeys: () => KEYS,
    clock: new ManualClock(NOW),
    log: unused as RedemptionServiceOptions['log'],
    replicaFor: async () => null,
    fetcher: unused as RedemptionServiceOptions['fetcher'],
    printer: unused as RedemptionServiceOptions['printer'],
    venueName: () => 'Arena',
    printerName: () => 'P1',
    logger: { info() {}, warn() {}, error() {}, debug() {} } as unknown as RedemptionServiceOptions['logger'],
  };
  return { service: new RedemptionService(options), reachedCoordinator: () => reached };
}

test('edge node: scanned and typed codes that do not verify are refused with a coded 4xx before any network call', async (t) => {
  const { service, reachedCoordinator } = edgeRedemptions();
  let runs = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.oneof(
        fc.string({ maxLength: 200 }),
        base45Text(130),
        fc.uint8Array({ minLength: TOKEN_BYTES, maxLength: TOKEN_BYTES }).map((b) => encodeBase45(b)),
        fc
          .nat(GENUINE.length - 1)
          .map((i) => GENUINE.slice(0, i) + (GENUINE[i] === 'A' ? 'B' : 'A') + GENUINE.slice(i + 1)),
      ),
      async (code) => {
        runs++;
        try {
          await service.redeem(code);
          return false;
        } catch (err) {
          if (!isAppError(err)) return false;
          // A typed order code went to the coordinator, which did not know it.
          if (normalizeOrderCode(code) !== null) return err.code === 'order_not_found' && err.status === 404;
          return /^token_[a-z_]+$/.test(err.code) && (err.status === 400 || err.status === 410);
        }
      },
    ),
    { numRuns: RUNS.edgeRedeem },
  );
  t.is(reachedCoordinator(), 0);
  t.is(runs, RUNS.edgeRedeem);
  t.log(`${runs} cases`);
});

test('edge node local API: arbitrary bodies to /api/redeem get a coded 4xx, never a 5xx', async (t) => {
  const { service, reachedCoordinator } = edgeRedemptions();
  const app = createLocalApi({
    status: async () => ({}),
    metrics: async () => ({ contentType: 'text/plain', body: '' }),
    redeem: (code) => service.redeem(code),
    progress: () => null,
  });
  const handler = app.callback();
  let runs = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.oneof(
        fc.jsonValue().map((v) => JSON.stringify(v) ?? 'null'),
        fc.string({ maxLength: 200 }).map((code) => JSON.stringify({ code })),
        fc.constantFrom('{"code":', '{"__proto__":{"code":"x"}}', '{"code":"x","extra":1}', '{"code":1e999}', ''),
        fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b).toString('latin1')),
      ),
      fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded', undefined),
      async (body, type) => {
        runs++;
        const res = await inject(handler, {
          method: 'POST',
          url: '/api/redeem',
          headers: type ? { 'content-type': type } : {},
          body,
        });
        const code = (res.json as { error?: { code?: unknown } } | undefined)?.error?.code;
        return res.status >= 400 && res.status < 500 && typeof code === 'string' && /^[a-z0-9_]+$/.test(code);
      },
    ),
    { numRuns: RUNS.localApi, includeErrorInReport: true },
  );
  t.is(reachedCoordinator(), 0);
  t.is(runs, RUNS.localApi);
  t.log(`${runs} cases`);
});
