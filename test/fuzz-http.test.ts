import test, { type ExecutionContext } from 'ava';
import fc from 'fast-check';
import { createApp } from '../coordinator/app.ts';
import { TEST_GATEWAY_SIGNATURE_HEADER } from '../coordinator/payment/test-gateway.ts';
import { signPrinterRequest } from '../shared/protocol/printer-auth.ts';
import {
  asOperator,
  createHarness,
  type Harness,
  HOUR_MS,
  OPERATOR_TOKEN,
  PHOTOGRAPHER_TOKEN,
  type Printer,
  paidOrder,
  printerCall,
  seedVenue,
} from './fixtures/app-harness.ts';
import { type InjectResponse, inject } from './fixtures/inject.ts';
import { TEST_READER } from './fixtures/kiosk-sale-harness.ts';
import { printerStatusBody } from './fixtures/printer-status.ts';
import { type RouteEntry, routeKey, routesOf } from './fixtures/route-table.ts';
import { StoreWatch } from './fixtures/store-watch.ts';

/**
 * Every JSON body, query string and path parameter of every coordinator route (read from the router,
 * so new routes are fuzzed too), with the route's own credentials so the input gets past auth:
 * arbitrary JSON, mutations of a valid body, prototype-pollution keys, huge numbers, invalid UTF-8,
 * wrong content types. The answer is never 5xx, a 4xx is a JSON error with a stable code, and a
 * refused request commits nothing to the store.
 */

const RUNS_PER_ROUTE = 400;
const RUNS_ANY_PATH = 3_000;

interface Fixture {
  h: Harness;
  watch: StoreWatch;
  printer: Printer;
  ids: Record<string, string[]>;
  /** Valid bodies per route, the starting points of mutations. */
  validBodies: Record<string, unknown[]>;
}

async function fixture(t: ExecutionContext): Promise<Fixture> {
  // Kiosk sales on, as a configured coordinator runs: their routes and the test terminal's are fuzzed too.
  // Past its budget a wrong typed code (an order's at redemption, an own-photo job's) is answered
  // after a hold on the clock, which is frozen here: the budgets are made large so every fuzzed
  // lookup is answered (the hold has its own tests). With the default budget, a run that happened to
  // fuzz more than ten well-formed wrong codes into /api/printer/redeem waited forever.
  const fuzzBudget = { printer: 1_000_000, venue: 1_000_000 };
  const h = await createHarness({
    kiosk: true,
    ownPhotos: { wrongCodeBurst: fuzzBudget },
    wrongCodeBurst: fuzzBudget,
  });
  t.teardown(() => h.close());
  const { venue, event, images, printers } = await seedVenue(h, { images: 2, printers: 2 });
  const [printer, spare] = [printers[0]!, printers[1]!];
  await h.http
    .put(`/api/printers/${printer.id}/card-reader`)
    .set(asOperator)
    .send({ cardReaderId: TEST_READER })
    .expect(200);
  const order = await paidOrder(h, event.id, [{ imageId: images[0]!.id, copies: 2 }]);
  await printerCall(h, printer, 'post', '/api/printer/redeem', { token: order.token }).expect(200);
  // "Last seen" is written on a printer's first call; after this the frozen clock keeps it from
  // being written again, so any commit during the fuzzing is the fuzzed request's doing.
  await printerCall(h, spare, 'get', '/api/printer/me').expect(200);
  const unpaid = await h.http
    .post('/api/orders')
    .send({ eventId: event.id, items: [{ imageId: images[1]!.id, copies: 1 }] })
    .expect(201);
  const session = new URL(unpaid.body.checkoutUrl).pathname.split('/').pop()!;
  const basket = { eventId: event.id, items: [{ imageId: images[0]!.id, copies: 1 }] };
  const cardSale = await printerCall(h, printer, 'post', '/api/printer/kiosk-sales', {
    ...basket,
    channel: 'kiosk-card',
    idempotencyKey: 'fuzz-card-basket',
    readerId: TEST_READER,
  }).expect(201);
  const phoneSale = await printerCall(h, printer, 'post', '/api/printer/kiosk-sales', {
    ...basket,
    channel: 'kiosk-phone',
    idempotencyKey: 'fuzz-phone-basket',
  }).expect(201);
  const now = h.clock.now();
  const watch = new StoreWatch(h.storePath);
  t.teardown(() => watch.close());
  return {
    h,
    watch,
    printer,
    ids: {
      venueId: [venue.id],
      eventId: [event.id],
      imageId: images.map((i) => i.id),
      orderId: [order.orderId, unpaid.body.order.id],
      // Never the fuzzing printer itself: revoking it would end the printer routes' fuzzing early.
      printerId: [spare.id],
      sessionId: [session],
      unit: ['0', '1', '2'],
      variant: ['preview.jpg', 'thumbnail.jpg', 'master.jpg'],
      file: ['qr.png', 'qr.svg', 'shop.css', 'gallery.js'],
      name: ['ops.css', 'dashboard.js'],
      saleId: [cardSale.body.id, phoneSale.body.id],
      readerId: [TEST_READER, 'tmr_fuzz_idle'],
    },
    validBodies: {
      'POST /api/venues': [{ name: 'Arena 2' }],
      'POST /api/events': [
        {
          venueId: venue.id,
          name: 'Encore',
          startsAt: now,
          endsAt: now + HOUR_MS,
          priceList: { currency: 'EUR', unitPriceCents: 500, bundles: [{ copies: 3, priceCents: 1200 }] },
        },
      ],
      'POST /api/credentials': [{ role: 'photographer', name: 'Sam' }],
      'PUT /api/events/:eventId/price-list': [{ currency: 'EUR', unitPriceCents: 700, bundles: [] }],
      'POST /api/printer/offline-redemptions': [
        { orders: [{ orderId: order.orderId, claimedAt: now, mode: 'offline', units: [0] }] },
        { orders: [{ orderId: unpaid.body.order.id, claimedAt: now, mode: 'isolated', units: [] }] },
      ],
      'POST /signin': [{ token: OPERATOR_TOKEN, name: 'Olga', next: '/ops' }],
      'POST /api/orders/quote': [{ eventId: event.id, items: [{ imageId: images[0]!.id, copies: 2 }] }],
      'POST /api/orders': [{ eventId: event.id, items: [{ imageId: images[1]!.id, copies: 1 }] }],
      'POST /api/printer/redeem': [{ token: order.token }, { code: order.order.code }, { code: 'abcd-efgh' }],
      'POST /api/venues/:venueId/printers': [
        { publicKey: 'ab'.repeat(32), name: 'P' },
        { publicKey: 'cd'.repeat(32), name: 'Q', cardReaderId: TEST_READER },
      ],
      'PUT /api/printers/:printerId/card-reader': [
        { cardReaderId: 'tmr_fuzz_spare' },
        { cardReaderId: TEST_READER },
        { cardReaderId: null },
      ],
      'PUT /api/printer/holdings': [{ eventId: event.id, imageIds: images.map((i) => i.id) }],
      'PUT /api/printer/status': [
        printerStatusBody({
          uptimeMs: 1,
          events: [{ eventId: event.id, imagesHeld: 1, imagesTotal: 2, bytesNeeded: 10, oldestMissingAgeMs: null }],
          printer: { state: 'ready', detail: '' },
        }),
      ],
      'POST /api/printer/kiosk-sales': [
        { ...basket, channel: 'kiosk-card', idempotencyKey: 'fuzz-card-basket', readerId: TEST_READER },
        { ...basket, channel: 'kiosk-phone', idempotencyKey: 'fuzz-phone-basket-2' },
      ],
      'POST /api/printer/kiosk-sales/:saleId/print-failed': [{ reason: 'paper jam' }],
      'POST /api/kiosk-sales/:saleId/refund': [{ reason: 'wrong photo' }, {}],
      'POST /terminal/test/readers/:readerId/present': [{ outcome: 'approve' }, { outcome: 'decline' }],
      'POST /terminal/test/readers/:readerId/offline': [{ offline: 'true' }, { offline: 'false' }],
      'POST /api/payments/webhook': [
        {
          id: 'evt_1',
          type: 'payment.succeeded',
          sessionId: session,
          orderId: unpaid.body.order.id,
          amountCents: 1,
          currency: 'EUR',
          createdAt: now,
        },
      ],
    },
  };
}

const POLLUTING_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '__defineGetter__'];
const FIELD_NAMES = [
  'name',
  'venueId',
  'eventId',
  'imageId',
  'items',
  'copies',
  'token',
  'publicKey',
  'role',
  'priceList',
  'currency',
  'unitPriceCents',
  'bundles',
  'startsAt',
  'endsAt',
  'imageIds',
  'outcome',
  'id',
  'type',
  'amountCents',
  'cardReaderId',
];

const hugeNumber = fc.constantFrom(
  Number.MAX_SAFE_INTEGER + 2,
  -Number.MAX_SAFE_INTEGER - 2,
  Number.MAX_VALUE,
  -Number.MAX_VALUE,
  Number.MIN_VALUE,
  1e21,
  -1,
  0.5,
  2 ** 31,
  2 ** 32,
  2 ** 63,
);
const key = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...FIELD_NAMES) },
  { weight: 2, arbitrary: fc.constantFrom(...POLLUTING_KEYS) },
  { weight: 2, arbitrary: fc.string({ maxLength: 12 }) },
);
const leaf = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.integer(),
  fc.double(),
  hugeNumber,
  fc.boolean(),
  fc.constant(null),
  fc.constant(''),
  fc.constant('x'.repeat(5_000)),
);
const { value: jsonish } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(key, tie('value'), { maxKeys: 6 }),
  ),
}));

/** Sets, replaces or deletes one thing somewhere in a valid body. */
function mutate(valid: unknown, path: number[], replacement: unknown, mode: 'set' | 'delete' | 'add'): unknown {
  const copy = structuredClone(valid);
  let node = copy as Record<string, unknown> | unknown[];
  for (let depth = 0; depth < path.length; depth++) {
    const keys = Object.keys(node);
    if (keys.length === 0) break;
    const k = keys[path[depth]! % keys.length]!;
    const child = (node as Record<string, unknown>)[k];
    const last = depth === path.length - 1 || child === null || typeof child !== 'object';
    if (last) {
      if (mode === 'delete') delete (node as Record<string, unknown>)[k];
      else if (mode === 'add') (node as Record<string, unknown>)[`${k}_extra`] = replacement;
      else (node as Record<string, unknown>)[k] = replacement;
      break;
    }
    node = child as Record<string, unknown>;
  }
  return copy;
}

const RAW_BODIES = [
  '{"__proto__":{"polluted":"yes"}}',
  '{"constructor":{"prototype":{"polluted":"yes"}}}',
  '{"name":"a","__proto__":{"isAdmin":true}}',
  '{"copies":1e999}',
  '{"startsAt":123456789012345678901234567890}',
  '[1e309]',
  '{"items":[{"imageId":"x","copies":-0}]}',
  '{"a":',
  '{',
  '"just a string"',
  'null',
  'true',
  '1',
  '[]',
  '{"name":"\\ud800"}',
  '\ufeff{"name":"bom"}',
  `{"deep":${'['.repeat(5_000)}${']'.repeat(5_000)}}`,
  `{"wide":[${'1,'.repeat(20_000)}1]}`,
];

const body = (route: RouteEntry, f: Fixture) =>
  fc.oneof(
    {
      weight: 4,
      arbitrary: fc
        .tuple(
          fc.constantFrom(...(f.validBodies[routeKey(route)] ?? [{}])),
          fc.array(fc.nat(8), { minLength: 1, maxLength: 4 }),
          jsonish,
          fc.constantFrom('set', 'delete', 'add') as fc.Arbitrary<'set' | 'delete' | 'add'>,
        )
        .map(([valid, path, replacement, mode]) => Buffer.from(JSON.stringify(mutate(valid, path, replacement, mode)))),
    },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom(...(f.validBodies[routeKey(route)] ?? [{}]))
        .map((v) => Buffer.from(JSON.stringify(v))),
    },
    { weight: 3, arbitrary: jsonish.map((v) => Buffer.from(JSON.stringify(v) ?? 'null')) },
    { weight: 1, arbitrary: fc.constantFrom(...RAW_BODIES).map((s) => Buffer.from(s)) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)) },
    {
      weight: 1,
      // Valid JSON around bytes that are not UTF-8.
      arbitrary: fc
        .uint8Array({ minLength: 1, maxLength: 16 })
        .map((b) => Buffer.concat([Buffer.from('{"name":"'), Buffer.from(b.map((x) => x | 0x80)), Buffer.from('"}')])),
    },
    { weight: 1, arbitrary: fc.constant(Buffer.alloc(0)) },
  );

const contentType = fc.oneof(
  { weight: 6, arbitrary: fc.constant('application/json') },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      'application/json; charset=utf-8',
      'application/json; charset=latin1',
      'application/json; charset=utf-16',
      'text/plain',
      'text/html',
      'application/x-www-form-urlencoded',
      'multipart/form-data',
      'multipart/form-data; boundary=',
      'application/octet-stream',
      'image/jpeg',
      'application/vnd.api+json',
    ),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.constant(undefined) },
);

const segment = (name: string, f: Fixture) =>
  fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...(f.ids[name] ?? ['x'])) },
    { weight: 2, arbitrary: fc.string({ maxLength: 30 }).map(encodeURIComponent) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '..',
        '%2e%2e',
        '%00',
        '%',
        '%zz',
        '%E0%A4%A',
        'a'.repeat(3_000),
        '-1',
        '1e400',
        '__proto__',
      ),
    },
  );

const queryString = fc.oneof(
  { weight: 3, arbitrary: fc.constant('') },
  {
    weight: 3,
    arbitrary: fc
      .array(fc.tuple(fc.oneof(key, fc.constant('venueId')), fc.string({ maxLength: 20 })), { maxLength: 5 })
      .map((pairs) => `?${pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&')}`),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '?venueId=a&venueId=b',
      '?venueId[]=x',
      '?venueId[__proto__][x]=1',
      '?__proto__[polluted]=1',
      '?%E0%A4%A=1',
      '?a=%zz',
      `?venueId=${'v'.repeat(10_000)}`,
    ),
  },
);

type Credential = 'rightful' | 'none' | 'photographer';

function pathFor(route: RouteEntry, segments: string[]): string {
  let i = 0;
  return route.path.replace(/:[A-Za-z0-9_]+/g, () => segments[i++] ?? 'x');
}

function paramNames(route: RouteEntry): string[] {
  return [...route.path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1]!);
}

function headersFor(
  f: Fixture,
  route: RouteEntry,
  method: string,
  url: string,
  bytes: Buffer,
  credential: Credential,
): Record<string, string> {
  if (credential === 'none') return {};
  if (credential === 'photographer') return { authorization: `Bearer ${PHOTOGRAPHER_TOKEN}` };
  if (route.path.startsWith('/api/printer/')) {
    return signPrinterRequest(f.printer.keyPair, method, url, bytes, f.h.clock.now());
  }
  // The sign-in forms check that they were posted from this site's own pages.
  if (route.path === '/signin' || route.path === '/signout') return { 'sec-fetch-site': 'same-origin' };
  if (route.path === '/api/payments/webhook') {
    return { [TEST_GATEWAY_SIGNATURE_HEADER]: f.h.gateway.signatureHeader(bytes.toString('utf8'), f.h.clock.now()) };
  }
  return { authorization: `Bearer ${OPERATOR_TOKEN}` };
}

/** The checks every fuzzed request must pass. Returns a reason when one fails. */
function verdict(method: string, res: InjectResponse, committed: boolean): string | null {
  if (res.status >= 500) return `answered ${res.status}: ${res.body.toString('utf8').slice(0, 300)}`;
  if (res.status >= 400 && committed) return `refused with ${res.status} but wrote to the store`;
  // HEAD answers carry no body to check.
  const isPage = String(res.headers['content-type'] ?? '').startsWith('text/html');
  // Browser pages answer with an HTML page that says what went wrong, not with JSON.
  if (res.status >= 400 && method !== 'HEAD' && isPage && res.body.length === 0) return `an empty ${res.status} page`;
  if (res.status >= 400 && method !== 'HEAD' && !isPage) {
    const error = (res.json as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
    if (typeof error?.code !== 'string' || !/^[a-z0-9_]+$/.test(error.code))
      return `a ${res.status} without a stable error code: ${res.body.toString('utf8').slice(0, 200)}`;
    if (typeof error.message !== 'string' || error.message.length === 0) return `a ${res.status} without a message`;
  }
  if (Object.keys(Object.prototype).length > 0 || ({} as Record<string, unknown>).polluted !== undefined) {
    return 'Object.prototype was polluted';
  }
  return null;
}

test('every route: fuzzed bodies, queries and path parameters get a clear 4xx or success, never 5xx; refusals store nothing', async (t) => {
  const f = await fixture(t);
  const routes = routesOf(createApp(f.h.deps, f.h.services));
  const started = performance.now();
  let cases = 0;
  for (const route of routes) {
    const names = paramNames(route);
    const arbitrary = fc.record({
      segments: fc.tuple(...names.map((n) => segment(n, f))) as fc.Arbitrary<string[]>,
      query: queryString,
      body: route.method === 'GET' ? fc.constant(Buffer.alloc(0)) : body(route, f),
      contentType,
      credential: fc.oneof(
        { weight: 8, arbitrary: fc.constant<Credential>('rightful') },
        { weight: 1, arbitrary: fc.constantFrom<Credential>('none', 'photographer') },
      ),
    });
    let runs = 0;
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(arbitrary, async (c) => {
        runs++;
        const url = pathFor(route, c.segments) + c.query;
        const headers = headersFor(f, route, route.method, url, c.body, c.credential);
        if (c.contentType !== undefined && c.body.length > 0) headers['content-type'] = c.contentType;
        f.watch.changed();
        const res = await inject(f.h.callback, {
          method: route.method,
          url,
          headers,
          body: c.body.length ? c.body : undefined,
        });
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        const problem = verdict(route.method, res, f.watch.changed());
        if (problem) throw new Error(`${route.method} ${url}: ${problem}`);
      }),
      { numRuns: RUNS_PER_ROUTE, includeErrorInReport: true },
    );
    t.is(runs, RUNS_PER_ROUTE, routeKey(route));
    const histogram = [...statuses].sort(([a], [b]) => a - b).map(([s, n]) => `${s}×${n}`);
    t.log(`${routeKey(route)}: ${histogram.join(' ')}`);
    cases += runs;
  }
  t.is(cases, RUNS_PER_ROUTE * routes.length);
  t.log(`${cases} cases over ${routes.length} routes in ${Math.round(performance.now() - started)} ms`);
});

test('arbitrary methods and paths are answered 404/405 or as their route, never 5xx, never stored', async (t) => {
  const f = await fixture(t);
  const prefixes = [
    '/',
    '/api/',
    '/api/printer/',
    '/api/orders/',
    '/api/events/',
    '/media/images/',
    '/pay/test/',
    '/ops/',
  ];
  let runs = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD', 'TRACE'),
      fc.constantFrom(...prefixes),
      fc.array(
        fc.oneof(fc.string({ maxLength: 12 }).map(encodeURIComponent), fc.constantFrom('..', '%', '%00', '//')),
        {
          maxLength: 4,
        },
      ),
      queryString,
      async (method, prefix, parts, query) => {
        runs++;
        const url = prefix + parts.join('/') + query;
        f.watch.changed();
        const res = await inject(f.h.callback, {
          method,
          url,
          headers: { authorization: `Bearer ${OPERATOR_TOKEN}`, 'content-type': 'application/json' },
          body: method === 'GET' || method === 'HEAD' ? undefined : '{}',
        });
        const problem = verdict(method, res, f.watch.changed());
        if (problem) throw new Error(`${method} ${url}: ${problem}`);
      },
    ),
    { numRuns: RUNS_ANY_PATH, includeErrorInReport: true },
  );
  t.is(runs, RUNS_ANY_PATH);
  t.log(`${runs} cases`);
});
