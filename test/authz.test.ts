import { randomBytes } from 'node:crypto';
import test, { type ExecutionContext } from 'ava';
import { createApp } from '../coordinator/app.ts';
import { SESSION_COOKIE } from '../coordinator/http/session-cookie.ts';
import { NoPaymentGateway } from '../coordinator/payment/no-gateway.ts';
import { TEST_GATEWAY_SIGNATURE_HEADER } from '../coordinator/payment/test-gateway.ts';
import { edgeConfigSchema } from '../edge-node/config.ts';
import { createLocalApi } from '../edge-node/status/local-api.ts';
import { signPrinterRequest } from '../shared/protocol/printer-auth.ts';
import {
  asOperator,
  createHarness,
  type Harness,
  HOUR_MS,
  newPrinterKeys,
  OPERATOR_TOKEN,
  PHOTOGRAPHER_TOKEN,
  type Printer,
  paidOrder,
  printerCall,
  sampleJpeg,
  seedVenue,
} from './fixtures/app-harness.ts';
import { type InjectResponse, inject } from './fixtures/inject.ts';
import { TEST_READER } from './fixtures/kiosk-sale-harness.ts';
import { printerStatusBody } from './fixtures/printer-status.ts';
import { type RouteEntry, routeKey, routesOf } from './fixtures/route-table.ts';

/**
 * Authorization of every coordinator route, built from the router itself: a route without an entry
 * in ACCESS fails the suite. Each route is called as every persona below; who is refused, and how
 * (401 = who are you, 403 = not you), is what the route's access class says.
 */

type Persona =
  | 'anonymous'
  | 'fan'
  | 'forgedBearer'
  | 'photographer'
  | 'operator'
  | 'printer'
  | 'otherVenuePrinter'
  | 'revokedPrinter'
  | 'unpairedPrinter'
  | 'operatorCookieCrossSite';
const PERSONAS: Persona[] = [
  'anonymous',
  'fan',
  'forgedBearer',
  'photographer',
  'operator',
  'printer',
  'otherVenuePrinter',
  'revokedPrinter',
  'unpairedPrinter',
  'operatorCookieCrossSite',
];

interface Fixture {
  h: Harness;
  venueA: { id: string };
  eventA: { id: string };
  imageA: { id: string };
  /** Paid, claimed by `printer`: what another venue's printer must not touch. */
  orderA: { orderId: string; token: string };
  printer: Printer;
  otherVenuePrinter: Printer;
  revokedPrinter: Printer;
  unpairedPrinter: Printer;
  /** A spare paired printer an operator may revoke during the test. */
  spare: Printer;
  /** A hosted checkout session of an unpaid order (the test gateway's capability). */
  checkoutPath: string;
  /** Venue A's secrets that must never reach a printer of venue B. */
  venueASecrets: string[];
  /** An operator's signed-in browser cookie ("name=value"). */
  operatorCookie: string;
  /** A fan's own-photo job (unpaid), its code and PIN (issue #13 item 3). */
  ownJob: { id: string; code: string; pin: string };
  /** A card sale at `printer`'s kiosk, waiting on its reader (issue #13): another venue's printer must not touch it. */
  kioskSale: { id: string };
  ownCardSale: { id: string };
}

interface CallSpec {
  path: string;
  /** JSON body (sent as application/json). */
  json?: unknown;
  /** Raw body with its content type (multipart, form). */
  raw?: { bytes: Buffer; contentType: string };
  /** Extra headers, e.g. the same-origin marker a browser sends with its own forms. */
  headers?: Record<string, string>;
}

type Access =
  /** Anyone, including fans with nothing: shop pages, media, health. */
  | { kind: 'public'; why: string }
  /** A staff bearer token of one of these roles. */
  | { kind: 'staff'; roles: Array<'operator' | 'photographer'> }
  /** A paired, unrevoked printer's signed request; `otherVenue` checks what a printer of venue B gets. */
  | { kind: 'printer'; otherVenue: (t: ExecutionContext, res: InjectResponse, f: Fixture) => void }
  /** Whoever holds an unguessable id in the path (the fan's order id, a checkout session). */
  | { kind: 'capability'; why: string; forged: (f: Fixture) => string }
  /** Only the payment gateway, by HMAC over the body. */
  | { kind: 'gateway' };

interface Expectation {
  access: Access;
  call: (f: Fixture) => CallSpec;
}

const noRoleCheckForOtherVenue = (t: ExecutionContext, res: InjectResponse) =>
  t.true(res.status < 400, `a printer of another venue may use its own ${res.status}`);
const eventOfOtherVenue = (t: ExecutionContext, res: InjectResponse) => {
  t.is(res.status, 404, "another venue's event is as good as unknown");
  t.is(errorCode(res), 'event_not_found');
};
const saleOfOtherPrinter = (t: ExecutionContext, res: InjectResponse) => {
  t.is(res.status, 404, "another printer's sale is as good as unknown: no state, no change");
  t.is(errorCode(res), 'sale_not_found');
};
/** A reader no sale uses: the admitted calls to the test terminal change nothing of the fixture's. */
const KIOSK_B_READER = 'tmr_authz_idle';

const ACCESS: Record<string, Expectation> = {
  'GET /healthz': { access: { kind: 'public', why: 'load balancer probe' }, call: () => ({ path: '/healthz' }) },
  'GET /metrics': {
    access: { kind: 'public', why: 'Prometheus scrape; counters only, no ids or secrets' },
    call: () => ({ path: '/metrics' }),
  },
  'POST /api/venues': {
    access: { kind: 'staff', roles: ['operator'] },
    call: () => ({ path: '/api/venues', json: { name: 'New' } }),
  },
  'GET /api/venues': { access: { kind: 'staff', roles: ['operator'] }, call: () => ({ path: '/api/venues' }) },
  'POST /api/events': {
    access: { kind: 'staff', roles: ['operator'] },
    call: (f) => ({
      path: '/api/events',
      json: {
        venueId: f.venueA.id,
        name: 'Encore',
        startsAt: f.h.clock.now(),
        endsAt: f.h.clock.now() + HOUR_MS,
        priceList: { currency: 'EUR', unitPriceCents: 500, bundles: [] },
      },
    }),
  },
  'PUT /api/events/:eventId/price-list': {
    access: { kind: 'staff', roles: ['operator'] },
    call: (f) => ({
      path: `/api/events/${f.eventA.id}/price-list`,
      json: { currency: 'EUR', unitPriceCents: 900, bundles: [] },
    }),
  },
  'GET /api/events': { access: { kind: 'public', why: 'fans browse events' }, call: () => ({ path: '/api/events' }) },
  'GET /api/events/:eventId': {
    access: { kind: 'public', why: 'fans browse events' },
    call: (f) => ({ path: `/api/events/${f.eventA.id}` }),
  },
  'POST /api/credentials': {
    access: { kind: 'staff', roles: ['operator'] },
    call: () => ({ path: '/api/credentials', json: { role: 'photographer', name: 'Sam' } }),
  },
  'GET /api/credentials': {
    access: { kind: 'staff', roles: ['operator'] },
    call: () => ({ path: '/api/credentials' }),
  },
  'POST /api/credentials/:credentialId/revoke': {
    access: { kind: 'staff', roles: ['operator'] },
    // Nobody's credential: the operator's call passes auth and is answered 404, revoking nothing.
    call: () => ({ path: `/api/credentials/${randomBytes(12).toString('hex')}/revoke` }),
  },
  'POST /api/events/:eventId/images': {
    access: { kind: 'staff', roles: ['operator', 'photographer'] },
    call: (f) => ({ path: `/api/events/${f.eventA.id}/images`, raw: UPLOAD }),
  },
  'GET /api/events/:eventId/images': {
    access: { kind: 'public', why: 'fans browse photos (previews only)' },
    call: (f) => ({ path: `/api/events/${f.eventA.id}/images` }),
  },
  'GET /media/images/:imageId/:variant': {
    access: { kind: 'public', why: 'watermark-free previews and thumbnails; masters are never served here' },
    call: (f) => ({ path: `/media/images/${f.imageA.id}/preview.jpg` }),
  },
  'POST /api/orders/quote': {
    access: { kind: 'public', why: 'fans price a basket' },
    call: (f) => ({
      path: '/api/orders/quote',
      json: { eventId: f.eventA.id, items: [{ imageId: f.imageA.id, copies: 1 }] },
    }),
  },
  'POST /api/orders': {
    access: { kind: 'public', why: 'fans buy without an account' },
    call: (f) => ({
      path: '/api/orders',
      json: { eventId: f.eventA.id, items: [{ imageId: f.imageA.id, copies: 1 }] },
    }),
  },
  'GET /api/orders/:orderId': {
    access: {
      kind: 'capability',
      why: '128-bit order id, known to its buyer only',
      forged: () => `/api/orders/${randomId()}`,
    },
    call: (f) => ({ path: `/api/orders/${f.orderA.orderId}` }),
  },
  'GET /api/orders/:orderId/:file': {
    access: {
      kind: 'capability',
      why: 'the QR code of the order id',
      forged: () => `/api/orders/${randomId()}/qr.png`,
    },
    call: (f) => ({ path: `/api/orders/${f.orderA.orderId}/qr.svg` }),
  },
  'POST /api/payments/webhook': {
    access: { kind: 'gateway' },
    call: () => ({ path: '/api/payments/webhook', json: WEBHOOK }),
  },
  'POST /api/printer/redeem': {
    access: {
      kind: 'printer',
      otherVenue: (t, res) => {
        t.is(res.status, 403);
        t.is(errorCode(res), 'order_other_venue');
      },
    },
    call: (f) => ({ path: '/api/printer/redeem', json: { token: f.orderA.token } }),
  },
  'POST /api/printer/orders/:orderId/units/:unit/printed': {
    access: {
      kind: 'printer',
      otherVenue: (t, res) => {
        t.is(res.status, 409, 'only the claim holder confirms prints');
        t.is(errorCode(res), 'claim_not_held');
      },
    },
    call: (f) => ({ path: `/api/printer/orders/${f.orderA.orderId}/units/0/printed` }),
  },
  'POST /api/orders/:orderId/release': {
    access: { kind: 'staff', roles: ['operator'] },
    // An order nobody holds: the operator's call passes auth and is answered 409, changing nothing.
    call: () => ({ path: `/api/orders/${randomId()}/release` }),
  },
  'POST /api/printer/offline-redemptions': {
    access: {
      kind: 'printer',
      otherVenue: (t, res) => {
        t.is(res.status, 200, 'a report is always taken, so nothing printed offline is lost');
        const result = (
          res.json as { results: Array<{ outcome: string; counted: number[]; conflicts: Array<{ kind: string }> }> }
        ).results[0]!;
        t.is(result.outcome, 'conflict', "venue A's order is not counted for venue B's printer");
        t.deepEqual(result.counted, []);
        t.is(result.conflicts[0]?.kind, 'unknown_order');
      },
    },
    call: (f) => ({
      path: '/api/printer/offline-redemptions',
      json: { orders: [{ orderId: f.orderA.orderId, claimedAt: f.h.clock.now(), mode: 'offline', units: [1] }] },
    }),
  },
  'GET /api/conflicts': { access: { kind: 'staff', roles: ['operator'] }, call: () => ({ path: '/api/conflicts' }) },
  'POST /api/conflicts/:conflictId/acknowledge': {
    access: { kind: 'staff', roles: ['operator'] },
    // Nobody's conflict: the operator's call passes auth and is answered 404, acknowledging nothing.
    call: () => ({ path: `/api/conflicts/double_print:${randomId()}:x/acknowledge` }),
  },
  'GET /api/offline-redemptions': {
    access: { kind: 'staff', roles: ['operator'] },
    call: () => ({ path: '/api/offline-redemptions' }),
  },
  'POST /api/venues/:venueId/printers': {
    access: { kind: 'staff', roles: ['operator'] },
    call: (f) => ({
      path: `/api/venues/${f.venueA.id}/printers`,
      json: { publicKey: newPrinterKeys().id, name: 'Another' },
    }),
  },
  'GET /api/printers': { access: { kind: 'staff', roles: ['operator'] }, call: () => ({ path: '/api/printers' }) },
  'PUT /api/printers/:printerId/card-reader': {
    access: { kind: 'staff', roles: ['operator'] },
    // The reader the printer has already: the operator's call changes nothing.
    call: (f) => ({ path: `/api/printers/${f.printer.id}/card-reader`, json: { cardReaderId: TEST_READER } }),
  },
  'POST /api/printers/:printerId/revoke': {
    access: { kind: 'staff', roles: ['operator'] },
    call: (f) => ({ path: `/api/printers/${f.spare.id}/revoke` }),
  },
  'GET /api/printer/me': {
    access: {
      kind: 'printer',
      otherVenue: (t, res, f) => {
        t.is(res.status, 200, 'a printer reads its own venue');
        const text = res.body.toString('utf8');
        for (const secret of f.venueASecrets) t.false(text.includes(secret), `venue A's ${secret} leaked to venue B`);
      },
    },
    call: () => ({ path: '/api/printer/me' }),
  },
  'PUT /api/printer/status': {
    access: { kind: 'printer', otherVenue: noRoleCheckForOtherVenue },
    call: () => ({ path: '/api/printer/status', json: STATUS_REPORT }),
  },
  'GET /api/printers/status': {
    access: { kind: 'staff', roles: ['operator'] },
    call: () => ({ path: '/api/printers/status' }),
  },
  'PUT /api/printer/holdings': {
    access: {
      kind: 'printer',
      otherVenue: (t, res) => {
        t.is(res.status, 404, "a printer reports holdings only for its own venue's events");
        t.is(errorCode(res), 'event_not_found');
      },
    },
    call: (f) => ({ path: '/api/printer/holdings', json: { eventId: f.eventA.id, imageIds: [f.imageA.id] } }),
  },
  'POST /api/events/:eventId/templates': {
    access: { kind: 'staff', roles: ['operator'] },
    call: (f) => ({
      path: `/api/events/${f.eventA.id}/templates`,
      json: {
        name: 'Authz layout',
        basicFeeCents: 100,
        layout: { media: 'na_index-4x6_4x6in', slots: [{ x: 0, y: 0, width: 600, height: 600 }], texts: [] },
      },
    }),
  },
  'GET /api/events/:eventId/templates': {
    access: { kind: 'public', why: 'the shop offers an event’s frames with their fees' },
    call: (f) => ({ path: `/api/events/${f.eventA.id}/templates` }),
  },
  'PUT /api/templates/:templateId/layout': {
    access: { kind: 'staff', roles: ['operator'] },
    call: () => ({
      path: '/api/templates/no-such-template/layout',
      json: { media: 'na_index-4x6_4x6in', slots: [{ x: 0, y: 0, width: 600, height: 600 }], texts: [] },
    }),
  },
  'POST /api/templates/:templateId/retire': {
    access: { kind: 'staff', roles: ['operator'] },
    call: () => ({ path: '/api/templates/no-such-template/retire', json: {} }),
  },
  'GET /api/templates/:templateId/preview.jpg': {
    access: { kind: 'public', why: 'the shop shows a fan their photo in a frame before paying' },
    call: () => ({ path: '/api/templates/no-such-template/preview.jpg' }),
  },
  'GET /api/events/:eventId/template-fees': {
    access: { kind: 'staff', roles: ['operator'] },
    call: (f) => ({ path: `/api/events/${f.eventA.id}/template-fees` }),
  },
  'PUT /api/events/:eventId/template-fees': {
    access: { kind: 'staff', roles: ['operator'] },
    call: (f) => ({ path: `/api/events/${f.eventA.id}/template-fees`, json: { activeTableId: 'launch' } }),
  },
  'GET /api/events/:eventId/delivery': {
    access: { kind: 'staff', roles: ['operator'] },
    call: (f) => ({ path: `/api/events/${f.eventA.id}/delivery` }),
  },
  'GET /signin': { access: { kind: 'public', why: 'the sign-in page' }, call: () => ({ path: '/signin' }) },
  'POST /signin': {
    access: { kind: 'public', why: 'signing in is how staff get a session; a wrong token gets the form again' },
    call: () => ({
      path: '/signin',
      raw: { bytes: Buffer.from(`token=${OPERATOR_TOKEN}`), contentType: 'application/x-www-form-urlencoded' },
      headers: { 'sec-fetch-site': 'same-origin' },
    }),
  },
  'POST /signout': {
    access: { kind: 'public', why: 'clears the cookie of whoever asks' },
    call: () => ({ path: '/signout', headers: { 'sec-fetch-site': 'same-origin' } }),
  },
  'GET /api/ops/snapshot': {
    access: { kind: 'staff', roles: ['operator'] },
    call: () => ({ path: '/api/ops/snapshot' }),
  },
  'GET /api/ops/stream': { access: { kind: 'staff', roles: ['operator'] }, call: () => ({ path: '/api/ops/stream' }) },
  'GET /api/events/:eventId/orders': {
    access: { kind: 'staff', roles: ['operator'] },
    call: (f) => ({ path: `/api/events/${f.eventA.id}/orders` }),
  },
  'GET /ops/upload': {
    access: { kind: 'staff', roles: ['operator', 'photographer'] },
    call: () => ({ path: '/ops/upload' }),
  },
  'GET /ops/assets/:name': {
    access: { kind: 'public', why: "the console's static CSS and scripts; no data" },
    call: () => ({ path: '/ops/assets/ops.css' }),
  },
  'GET /shop/assets/:file': {
    access: { kind: 'public', why: "the shop's static CSS and scripts" },
    call: () => ({ path: '/shop/assets/shop.css' }),
  },
  'GET /': { access: { kind: 'public', why: 'shop home page' }, call: () => ({ path: '/' }) },
  'GET /e/:eventId': {
    access: { kind: 'public', why: 'event gallery page' },
    call: (f) => ({ path: `/e/${f.eventA.id}` }),
  },
  'GET /e/:eventId/photo/:imageId': {
    access: { kind: 'public', why: 'photo page (preview only)' },
    call: (f) => ({ path: `/e/${f.eventA.id}/photo/${f.imageA.id}` }),
  },
  'GET /api/events/:eventId/stream': {
    access: { kind: 'public', why: 'live gallery updates of a public event' },
    call: (f) => ({ path: `/api/events/${f.eventA.id}/stream` }),
  },
  'GET /o/:orderId': {
    access: { kind: 'capability', why: "the fan's order page, by order id", forged: () => `/o/${randomId()}` },
    call: (f) => ({ path: `/o/${f.orderA.orderId}` }),
  },
  'GET /api/orders/:orderId/status': {
    access: {
      kind: 'capability',
      why: 'order progress, by order id',
      forged: () => `/api/orders/${randomId()}/status`,
    },
    call: (f) => ({ path: `/api/orders/${f.orderA.orderId}/status` }),
  },
  'GET /api/orders/:orderId/routing': {
    access: {
      kind: 'capability',
      why: 'where to print now (shortest queue among the printers holding the photos), by order id',
      forged: () => `/api/orders/${randomId()}/routing`,
    },
    call: (f) => ({ path: `/api/orders/${f.orderA.orderId}/routing` }),
  },
  'GET /api/orders/:orderId/stream': {
    access: {
      kind: 'capability',
      why: 'live order progress, by order id',
      forged: () => `/api/orders/${randomId()}/stream`,
    },
    call: (f) => ({ path: `/api/orders/${f.orderA.orderId}/stream` }),
  },
  'GET /pay/test/:sessionId': {
    access: {
      kind: 'capability',
      why: 'HMAC-signed checkout session',
      forged: () => `/pay/test/${randomId()}.${randomId()}`,
    },
    call: (f) => ({ path: f.checkoutPath }),
  },
  'POST /pay/test/:sessionId': {
    access: {
      kind: 'capability',
      why: 'HMAC-signed checkout session',
      forged: () => `/pay/test/${randomId()}.${randomId()}`,
    },
    // "cancel" keeps the fixture's order unpaid whoever presses it.
    call: (f) => ({
      path: f.checkoutPath,
      raw: { bytes: Buffer.from('outcome=cancel'), contentType: 'application/x-www-form-urlencoded' },
    }),
  },
  // --- own photos (issue #13 item 3). Jobs are not bound to a venue: the fan's code and PIN are
  // the credential, and a paid job may be printed at any printer the fan stands at.
  'GET /own-photos': {
    access: { kind: 'public', why: "the fans' upload page; it shows jobs only to the phone holding their cookie" },
    call: () => ({ path: '/own-photos' }),
  },
  'POST /own-photos/upload': {
    access: { kind: 'public', why: 'fans upload their own photos without an account (rate- and size-limited)' },
    call: () => ({ path: '/own-photos/upload', raw: UPLOAD }),
  },
  'GET /own-photos/qr.svg': {
    access: { kind: 'public', why: "the QR of the code in the phone's own cookie; 404 without one" },
    call: () => ({ path: '/own-photos/qr.svg' }),
  },
  'GET /own-photos/jobs/:jobId/:n/thumb.jpg': {
    access: {
      kind: 'capability',
      why: "a job's thumbnail for the phone that uploaded it (its cookie), by the job's unguessable id",
      forged: () => `/own-photos/jobs/${randomId()}/0/thumb.jpg`,
    },
    call: (f) => ({ path: `/own-photos/jobs/${f.ownJob.id}/0/thumb.jpg` }),
  },
  'POST /api/printer/own-photos/lookup': {
    access: { kind: 'printer', otherVenue: (t, res) => t.is(res.status, 200, 'code and PIN open the job anywhere') },
    call: (f) => ({ path: '/api/printer/own-photos/lookup', json: { code: f.ownJob.code, pin: f.ownJob.pin } }),
  },
  'GET /api/printer/own-photos/jobs/:jobId': {
    access: { kind: 'printer', otherVenue: noRoleCheckForOtherVenue },
    call: (f) => ({ path: `/api/printer/own-photos/jobs/${f.ownJob.id}` }),
  },
  'GET /api/printer/own-photos/jobs/:jobId/images/:n/thumbnail': {
    access: { kind: 'printer', otherVenue: noRoleCheckForOtherVenue },
    call: (f) => ({ path: `/api/printer/own-photos/jobs/${f.ownJob.id}/images/0/thumbnail` }),
  },
  'POST /api/printer/own-photos/jobs/:jobId/checkout': {
    access: { kind: 'printer', otherVenue: noRoleCheckForOtherVenue },
    call: (f) => ({ path: `/api/printer/own-photos/jobs/${f.ownJob.id}/checkout` }),
  },
  'POST /api/printer/own-photos/jobs/:jobId/release': {
    access: {
      kind: 'printer',
      otherVenue: (t, res) => t.is(errorCode(res), 'own_photo_job_state', 'unpaid: released to no printer'),
    },
    call: (f) => ({ path: `/api/printer/own-photos/jobs/${f.ownJob.id}/release` }),
  },
  'GET /api/printer/own-photos/jobs/:jobId/images/:n': {
    access: {
      kind: 'printer',
      otherVenue: (t, res) =>
        t.is(errorCode(res), 'own_photo_job_held', 'photos go only to the printer holding the job'),
    },
    call: (f) => ({ path: `/api/printer/own-photos/jobs/${f.ownJob.id}/images/0` }),
  },
  'POST /api/printer/own-photos/jobs/:jobId/printed': {
    access: {
      kind: 'printer',
      otherVenue: (t, res) => t.is(errorCode(res), 'own_photo_job_state', 'only the holder completes a job'),
    },
    call: (f) => ({ path: `/api/printer/own-photos/jobs/${f.ownJob.id}/printed` }),
  },
  'POST /api/printer/own-photos/jobs/:jobId/failed': {
    access: {
      kind: 'printer',
      otherVenue: (t, res) => t.is(errorCode(res), 'own_photo_job_state', 'only the holder reports a failure'),
    },
    call: (f) => ({ path: `/api/printer/own-photos/jobs/${f.ownJob.id}/failed`, json: { reason: 'test' } }),
  },
  'GET /api/own-photos': { access: { kind: 'staff', roles: ['operator'] }, call: () => ({ path: '/api/own-photos' }) },
  // --- kiosk sales (issue #13): a sale belongs to the printer whose kiosk made it. Another printer,
  // of this venue or another, gets "no such sale" (404), never the sale or a change to it.
  'GET /api/printer/kiosk-payments': {
    access: {
      kind: 'printer',
      otherVenue: (t, res) => {
        t.is(res.status, 200, 'a printer of another venue may ask what it can offer');
        t.is((res.json as { card?: unknown }).card, null, "naming venue A's reader reads nothing of it");
      },
    },
    // Venue A's printer's own reader: what another venue's printer naming it must not get.
    call: () => ({ path: `/api/printer/kiosk-payments?readerId=${TEST_READER}` }),
  },
  'GET /api/printer/events/:eventId/photographers': {
    access: { kind: 'printer', otherVenue: eventOfOtherVenue },
    call: (f) => ({ path: `/api/printer/events/${f.eventA.id}/photographers` }),
  },
  'GET /api/printer/events/:eventId/template-fees': {
    access: { kind: 'printer', otherVenue: eventOfOtherVenue },
    call: (f) => ({ path: `/api/printer/events/${f.eventA.id}/template-fees` }),
  },
  'POST /api/printer/kiosk-sales': {
    access: { kind: 'printer', otherVenue: eventOfOtherVenue },
    call: (f) => ({
      path: '/api/printer/kiosk-sales',
      json: {
        eventId: f.eventA.id,
        items: [{ imageId: f.imageA.id, copies: 1 }],
        channel: 'kiosk-phone',
        idempotencyKey: 'authz-phone-basket',
      },
    }),
  },
  'POST /api/printer/own-photos/jobs/:jobId/card-sale': {
    // Own-photo jobs open at any printer with code and PIN; the card is read on the caller's reader.
    access: { kind: 'printer', otherVenue: noRoleCheckForOtherVenue },
    call: (f) => ({
      path: `/api/printer/own-photos/jobs/${f.ownJob.id}/card-sale`,
      json: { readerId: KIOSK_B_READER, idempotencyKey: 'authz-own-card-sale-2' },
    }),
  },
  'GET /api/printer/own-photos/card-sales/:saleId': {
    access: { kind: 'printer', otherVenue: saleOfOtherPrinter },
    call: (f) => ({ path: `/api/printer/own-photos/card-sales/${f.ownCardSale.id}` }),
  },
  'POST /api/printer/own-photos/card-sales/:saleId/retry': {
    access: { kind: 'printer', otherVenue: saleOfOtherPrinter },
    call: (f) => ({ path: `/api/printer/own-photos/card-sales/${f.ownCardSale.id}/retry` }),
  },
  'POST /api/printer/own-photos/card-sales/:saleId/cancel': {
    access: { kind: 'printer', otherVenue: saleOfOtherPrinter },
    call: (f) => ({ path: `/api/printer/own-photos/card-sales/${f.ownCardSale.id}/cancel` }),
  },
  'GET /api/printer/kiosk-sales/:saleId': {
    access: { kind: 'printer', otherVenue: saleOfOtherPrinter },
    call: (f) => ({ path: `/api/printer/kiosk-sales/${f.kioskSale.id}` }),
  },
  'POST /api/printer/kiosk-sales/:saleId/cancel': {
    access: { kind: 'printer', otherVenue: saleOfOtherPrinter },
    call: (f) => ({ path: `/api/printer/kiosk-sales/${f.kioskSale.id}/cancel` }),
  },
  'POST /api/printer/kiosk-sales/:saleId/retry': {
    access: { kind: 'printer', otherVenue: saleOfOtherPrinter },
    call: (f) => ({ path: `/api/printer/kiosk-sales/${f.kioskSale.id}/retry` }),
  },
  'POST /api/printer/kiosk-sales/:saleId/print-failed': {
    access: { kind: 'printer', otherVenue: saleOfOtherPrinter },
    call: (f) => ({ path: `/api/printer/kiosk-sales/${f.kioskSale.id}/print-failed`, json: { reason: 'authz' } }),
  },
  'GET /api/kiosk-sales': {
    access: { kind: 'staff', roles: ['operator'] },
    call: () => ({ path: '/api/kiosk-sales' }),
  },
  'POST /api/kiosk-sales/:saleId/refund': {
    access: { kind: 'staff', roles: ['operator'] },
    // Nobody's sale: the operator's call passes auth and is answered 404, refunding nothing.
    call: () => ({ path: `/api/kiosk-sales/${randomId()}/refund`, json: {} }),
  },
  'GET /pay/test-kiosk': {
    access: {
      kind: 'public',
      why: 'test gateway only (not mounted with a real one): lists every kiosk phone payment waiting, with its checkout link, to anyone, so the demo\'s "phone" can open the QR code\'s page; with the test gateway paying is a button anyway',
    },
    call: () => ({ path: '/pay/test-kiosk' }),
  },
  'GET /terminal/test': {
    access: {
      kind: 'public',
      why: 'the simulated card readers (VPM_CARD_TERMINAL=test only, logged as never for a real venue): a tap is a physical act at the station, so no login; no money moves',
    },
    call: () => ({ path: '/terminal/test' }),
  },
  'POST /terminal/test/readers/:readerId/present': {
    access: {
      kind: 'public',
      why: 'tapping a simulated card on a test reader (VPM_CARD_TERMINAL=test only); no money moves',
    },
    // A reader nothing waits on: answered 409, approving nothing.
    call: () => ({
      path: `/terminal/test/readers/${KIOSK_B_READER}/present`,
      raw: { bytes: Buffer.from('outcome=approve'), contentType: 'application/x-www-form-urlencoded' },
    }),
  },
  'POST /terminal/test/readers/:readerId/offline': {
    access: {
      kind: 'public',
      why: 'unplugging a simulated reader (VPM_CARD_TERMINAL=test only); no money moves',
    },
    call: () => ({
      path: `/terminal/test/readers/${KIOSK_B_READER}/offline`,
      raw: { bytes: Buffer.from('offline=false'), contentType: 'application/x-www-form-urlencoded' },
    }),
  },
};

/** Pages under /ops are the operators' web console: staff only, whatever else is added there. */
const OPS_PREFIX = '/ops';

const STATUS_REPORT = printerStatusBody();
const WEBHOOK = {
  id: 'evt_forged',
  type: 'payment.succeeded',
  sessionId: 'sess',
  orderId: 'order',
  amountCents: 1,
  currency: 'EUR',
  createdAt: 1,
};
const UPLOAD = multipart(Buffer.from('not yet'), 'a.jpg');

function randomId(): string {
  return randomBytes(16).toString('base64url');
}

function errorCode(res: InjectResponse): string | undefined {
  return (res.json as { error?: { code?: string } } | undefined)?.error?.code;
}

function multipart(bytes: Buffer, name: string): { bytes: Buffer; contentType: string } {
  const boundary = 'authz-boundary-7d2f';
  return {
    contentType: `multipart/form-data; boundary=${boundary}`,
    bytes: Buffer.concat([
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="${name}"\r\nContent-Type: image/jpeg\r\n\r\n`,
      ),
      bytes,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]),
  };
}

function call(f: Fixture, method: string, spec: CallSpec, persona: Persona): Promise<InjectResponse> {
  const body = spec.raw?.bytes ?? (spec.json === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(spec.json)));
  const headers: Record<string, string> = {};
  if (spec.raw) headers['content-type'] = spec.raw.contentType;
  else if (spec.json !== undefined) headers['content-type'] = 'application/json';
  const signAs = (p: Printer) =>
    Object.assign(headers, signPrinterRequest(p.keyPair, method, spec.path, body, f.h.clock.now()));
  switch (persona) {
    case 'anonymous':
      break;
    case 'fan':
      // A fan's browser: no token, whatever cookie it happens to carry.
      headers.cookie = `vpm_session=${randomId()}; theme=dark`;
      break;
    case 'forgedBearer':
      headers.authorization = `Bearer vpm_op_${randomId()}`;
      break;
    case 'photographer':
      headers.authorization = `Bearer ${PHOTOGRAPHER_TOKEN}`;
      break;
    case 'operator':
      headers.authorization = `Bearer ${OPERATOR_TOKEN}`;
      break;
    case 'printer':
      signAs(f.printer);
      break;
    case 'otherVenuePrinter':
      signAs(f.otherVenuePrinter);
      break;
    case 'revokedPrinter':
      signAs(f.revokedPrinter);
      break;
    case 'unpairedPrinter':
      signAs(f.unpairedPrinter);
      break;
    case 'operatorCookieCrossSite':
      // A signed-in operator's browser, made to send the request by another site (CSRF).
      headers.cookie = f.operatorCookie;
      headers['sec-fetch-site'] = 'cross-site';
      break;
  }
  Object.assign(headers, spec.headers);
  return inject(f.h.callback, { method, url: spec.path, headers, body: body.length ? body : undefined });
}

async function fixture(): Promise<Fixture> {
  const h = await createHarness({ kiosk: true });
  const { venue, event, images, printers } = await seedVenue(h, { images: 1, printers: 3 });
  const [printer, revokedPrinter, spare] = [printers[0]!, printers[1]!, printers[2]!];
  await h.http.post(`/api/printers/${revokedPrinter.id}/revoke`).set(asOperator).expect(200);

  const venueB = (await h.http.post('/api/venues').set(asOperator).send({ name: 'Club B' }).expect(201)).body.venue;
  await h.http
    .post('/api/events')
    .set(asOperator)
    .send({
      venueId: venueB.id,
      name: 'Night B',
      startsAt: h.clock.now(),
      endsAt: h.clock.now() + HOUR_MS,
      priceList: { currency: 'EUR', unitPriceCents: 300, bundles: [] },
    })
    .expect(201);
  const otherVenuePrinter = newPrinterKeys();
  await h.http
    .post(`/api/venues/${venueB.id}/printers`)
    .set(asOperator)
    .send({ publicKey: otherVenuePrinter.id, name: 'B printer' })
    .expect(201);

  // Operators assign venue A's printer its card reader (issue #13); no other printer has one.
  await h.http
    .put(`/api/printers/${printer.id}/card-reader`)
    .set(asOperator)
    .send({ cardReaderId: TEST_READER })
    .expect(200);

  const orderA = await paidOrder(h, event.id, [{ imageId: images[0]!.id, copies: 2 }]);
  await printerCall(h, printer, 'post', '/api/printer/redeem', { token: orderA.token }).expect(200);
  const unpaid = await h.http
    .post('/api/orders')
    .send({ eventId: event.id, items: [{ imageId: images[0]!.id, copies: 1 }] })
    .expect(201);

  const own = await h.http
    .post('/own-photos/upload')
    .set('accept', 'application/json')
    .attach('photos', await sampleJpeg(99), 'IMG_OWN.jpg')
    .expect(201);
  const ownLookup = await printerCall(h, printer, 'post', '/api/printer/own-photos/lookup', {
    code: own.body.code,
    pin: own.body.pin,
  }).expect(200);
  const ownJob = {
    id: ownLookup.body.jobs[0].id as string,
    code: own.body.code as string,
    pin: own.body.pin as string,
  };

  const kioskSale = await printerCall(h, printer, 'post', '/api/printer/kiosk-sales', {
    eventId: event.id,
    items: [{ imageId: images[0]!.id, copies: 1 }],
    channel: 'kiosk-card',
    idempotencyKey: 'authz-card-basket',
    readerId: TEST_READER,
  }).expect(201);

  const ownCardSale = await printerCall(h, printer, 'post', `/api/printer/own-photos/jobs/${ownJob.id}/card-sale`, {
    readerId: TEST_READER,
    idempotencyKey: 'authz-own-card-sale',
  }).expect(201);

  const me = await printerCall(h, printer, 'get', '/api/printer/me').expect(200);
  const venueASecrets = [
    venue.id,
    me.body.venue.topic as string,
    ...(me.body.feeds as Array<{ blobsKey: string; catalogKey: string; encryptionKey: string }>).flatMap((d) => [
      d.blobsKey,
      d.catalogKey,
      d.encryptionKey,
    ]),
  ];
  const signin = await inject(h.callback, {
    method: 'POST',
    url: '/signin',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'same-origin' },
    body: `token=${encodeURIComponent(OPERATOR_TOKEN)}`,
  });
  const setCookie = ([] as string[]).concat((signin.headers['set-cookie'] as string | string[] | undefined) ?? []);
  const operatorCookie = setCookie.map((c) => c.split(';')[0]!).find((c) => c.startsWith(`${SESSION_COOKIE}=`));
  if (!operatorCookie) throw new Error(`signing in gave no session cookie (${signin.status})`);
  return {
    h,
    operatorCookie,
    venueA: venue,
    eventA: event,
    imageA: images[0]!,
    orderA,
    printer,
    otherVenuePrinter,
    revokedPrinter,
    unpairedPrinter: newPrinterKeys(),
    spare,
    checkoutPath: new URL(unpaid.body.checkoutUrl).pathname,
    venueASecrets,
    ownJob,
    kioskSale: { id: kioskSale.body.id as string },
    ownCardSale: { id: ownCardSale.body.sale.id as string },
  };
}

function expectationFor(route: RouteEntry): Expectation | null {
  const listed = ACCESS[routeKey(route)];
  if (listed) return listed;
  if (route.path.startsWith(OPS_PREFIX)) {
    return { access: { kind: 'staff', roles: ['operator'] }, call: () => ({ path: concretePath(route.path) }) };
  }
  return null;
}

/** Fills `:param` segments with a harmless id, for the generic /ops rule. */
function concretePath(pattern: string): string {
  return pattern.replace(/:[A-Za-z0-9_]+/g, 'x');
}

const isRefusal = (res: InjectResponse) => res.status === 401 || res.status === 403;
/** A refused browser page may also send the person to a sign-in page. */
const isPageRefusal = (res: InjectResponse) => isRefusal(res) || [302, 303, 307].includes(res.status);

test('every coordinator route has an access class in the table', async (t) => {
  // Kiosk sales on, as a configured coordinator runs: their routes are in the table too.
  const h = await createHarness({ kiosk: true });
  t.teardown(() => h.close());
  const routes = routesOf(createApp(h.deps, h.services));
  const missing = routes.filter((r) => !expectationFor(r)).map(routeKey);
  t.deepEqual(missing, [], `routes without an authorization expectation in test/authz.test.ts: ${missing.join(', ')}`);
  const stale = Object.keys(ACCESS).filter((k) => !routes.some((r) => routeKey(r) === k));
  t.deepEqual(stale, [], `table entries for routes that no longer exist: ${stale.join(', ')}`);
  t.log(`${routes.length} routes`);
});

test('each route refuses the personas its access class excludes, and admits the ones it includes', async (t) => {
  const f = await fixture();
  t.teardown(() => f.h.close());
  const routes = routesOf(createApp(f.h.deps, f.h.services));
  let calls = 0;
  // Refusals first: they must change nothing, so the admitted calls below still find the fixture intact.
  const admitted: Array<[RouteEntry, Expectation, Persona]> = [];
  for (const route of routes) {
    const exp = expectationFor(route);
    if (!exp) continue; // reported by the table test
    const label = (p: Persona) => `${routeKey(route)} as ${p}`;
    const page = route.path.startsWith(OPS_PREFIX);
    for (const persona of PERSONAS) {
      const a = exp.access;
      if (a.kind === 'public') {
        admitted.push([route, exp, persona]);
        continue;
      }
      if (a.kind === 'staff') {
        const cookieRead = persona === 'operatorCookieCrossSite' && route.method === 'GET';
        if (
          ((persona === 'operator' || persona === 'photographer') && a.roles.includes(persona)) ||
          (cookieRead && a.roles.includes('operator'))
        ) {
          // A cookie may read cross-site (the browser keeps the answer from the other site).
          admitted.push([route, exp, persona]);
          continue;
        }
        const res = await call(f, route.method, exp.call(f), persona);
        calls++;
        if (page) t.true(isPageRefusal(res), `${label(persona)}: ${res.status}`);
        else if (persona === 'operatorCookieCrossSite') {
          t.is(res.status, 403, label(persona));
          t.is(errorCode(res), 'cross_site_refused', label(persona));
        } else t.is(res.status, persona === 'operator' || persona === 'photographer' ? 403 : 401, label(persona));
        continue;
      }
      if (a.kind === 'printer') {
        if (persona === 'printer' || persona === 'otherVenuePrinter') {
          admitted.push([route, exp, persona]);
          continue;
        }
        const res = await call(f, route.method, exp.call(f), persona);
        calls++;
        const expected: [number, string?] =
          persona === 'revokedPrinter'
            ? [403, 'printer_revoked']
            : persona === 'unpairedPrinter'
              ? [403, 'printer_not_paired']
              : [401];
        t.is(res.status, expected[0], label(persona));
        if (expected[1]) t.is(errorCode(res), expected[1], label(persona));
        continue;
      }
      if (a.kind === 'capability') {
        const res = await call(f, route.method, { ...exp.call(f), path: a.forged(f) }, persona);
        calls++;
        t.is(res.status, 404, `${label(persona)} with a forged id`);
        admitted.push([route, exp, persona]);
        continue;
      }
      // gateway: no persona carries the gateway's HMAC.
      const res = await call(f, route.method, exp.call(f), persona);
      calls++;
      t.is(res.status, 401, label(persona));
    }
  }
  for (const [route, exp, persona] of admitted) {
    const res = await call(f, route.method, exp.call(f), persona);
    calls++;
    const label = `${routeKey(route)} as ${persona}`;
    if (exp.access.kind === 'printer' && persona === 'otherVenuePrinter') {
      exp.access.otherVenue(t, res, f);
      continue;
    }
    t.false(isRefusal(res), `${label} was refused: ${res.status} ${res.body.toString('utf8').slice(0, 200)}`);
    t.true(res.status < 500, `${label}: ${res.status}`);
  }
  t.log(`${routes.length} routes × ${PERSONAS.length} personas: ${calls} calls`);
});

test('the payment webhook admits the gateway HMAC only', async (t) => {
  const f = await fixture();
  t.teardown(() => f.h.close());
  const body = JSON.stringify(WEBHOOK);
  const headers = { 'content-type': 'application/json' };
  const forged = await inject(f.h.callback, {
    method: 'POST',
    url: '/api/payments/webhook',
    headers: { ...headers, [TEST_GATEWAY_SIGNATURE_HEADER]: `t=${f.h.clock.now()},v1=${'0'.repeat(64)}` },
    body,
  });
  t.is(forged.status, 401);
  const genuine = await inject(f.h.callback, {
    method: 'POST',
    url: '/api/payments/webhook',
    headers: { ...headers, [TEST_GATEWAY_SIGNATURE_HEADER]: f.h.gateway.signatureHeader(body, f.h.clock.now()) },
    body,
  });
  t.is(genuine.status, 404, 'past the signature check: the order is unknown');
});

test("a typed order code works only at the order's own venue", async (t) => {
  const f = await fixture();
  t.teardown(() => f.h.close());
  const order = await f.h.http.get(`/api/orders/${f.orderA.orderId}`).expect(200);
  const code = order.body.order.code as string;
  const elsewhere = await printerCall(f.h, f.otherVenuePrinter, 'post', '/api/printer/redeem', { code });
  // Not even "another venue's order": an unsigned code must not tell a stranger which codes exist.
  t.is(elsewhere.status, 404, JSON.stringify(elsewhere.body));
  t.is(elsewhere.body.error.code, 'order_not_found');
  const here = await printerCall(f.h, f.printer, 'post', '/api/printer/redeem', { code: code.toLowerCase() });
  t.is(here.status, 200, 'the claiming printer renews its claim with the typed code');
});

test('capability ids are not listed on any public route', async (t) => {
  const f = await fixture();
  t.teardown(() => f.h.close());
  for (const path of ['/api/events', `/api/events/${f.eventA.id}`, `/api/events/${f.eventA.id}/images`, '/metrics']) {
    const res = await inject(f.h.callback, { method: 'GET', url: path });
    t.is(res.status, 200, path);
    const text = res.body.toString('utf8');
    t.false(text.includes(f.orderA.orderId), `${path} lists an order id`);
    t.false(text.includes(f.checkoutPath.split('/').pop()!), `${path} lists a checkout session`);
    for (const secret of f.venueASecrets.slice(1)) t.false(text.includes(secret), `${path} shows a feed secret`);
  }
});

test("a kiosk sale is its own printer's: another venue's printer, or another of this venue, cannot read or change it", async (t) => {
  const f = await fixture();
  t.teardown(() => f.h.close());
  const sales = f.h.kioskSales!;
  const before = await sales.get(f.kioskSale.id);
  t.is(before?.state, 'awaiting_payment');
  const booksBefore = f.h.terminal!.payments();
  for (const [who, stranger] of [
    ['another venue', f.otherVenuePrinter],
    ['this venue', f.spare],
  ] as const) {
    for (const [method, suffix, body] of [
      ['get', '', undefined],
      ['post', '/cancel', undefined],
      ['post', '/retry', undefined],
      ['post', '/print-failed', { reason: 'not mine' }],
    ] as const) {
      const res = await printerCall(f.h, stranger, method, `/api/printer/kiosk-sales/${f.kioskSale.id}${suffix}`, body);
      t.is(res.status, 404, `${method} ${suffix || 'sale'} by a printer of ${who}`);
      t.is(res.body.error?.code, 'sale_not_found');
      t.false(JSON.stringify(res.body).includes(before!.orderId), 'nothing of the sale is answered');
    }
  }
  t.deepEqual(await sales.get(f.kioskSale.id), before, 'the sale is unchanged');
  t.deepEqual(f.h.terminal!.payments(), booksBefore, 'its card payment is unchanged');
  t.is((await f.h.terminal!.reader(TEST_READER)).status, 'busy', 'its reader still waits for the fan’s card');
  const own = await printerCall(f.h, f.printer, 'get', `/api/printer/kiosk-sales/${f.kioskSale.id}`).expect(200);
  t.is(own.body.state, 'awaiting_payment');
});

test("a card reader is its printer's: another venue's printer, or another of this venue, cannot pay on it or read it", async (t) => {
  const f = await fixture();
  t.teardown(() => f.h.close());
  const booksBefore = f.h.terminal!.payments();
  const salesBefore = await f.h.kioskSales!.listRecent(100);
  for (const [who, stranger] of [
    ['another venue', f.otherVenuePrinter],
    ['this venue', f.spare],
  ] as const) {
    const basket = {
      items: [{ imageId: f.imageA.id, copies: 1 }],
      channel: 'kiosk-card',
      idempotencyKey: `steal-${who.replace(' ', '-')}`,
    };
    // Naming venue A's reader is refused with the fix named, before any event or payment is looked at.
    const named = await printerCall(f.h, stranger, 'post', '/api/printer/kiosk-sales', {
      ...basket,
      eventId: f.eventA.id,
      readerId: TEST_READER,
    });
    t.is(named.status, 403, `a card sale on a reader not assigned to a printer of ${who}`);
    t.is(named.body.error?.code, 'card_reader_not_assigned');
    t.regex(named.body.error?.message, /Printers page/);
    // Naming none: the printer has no reader of its own, so no card payment at all.
    const unnamed = await printerCall(f.h, stranger, 'post', '/api/printer/kiosk-sales', {
      ...basket,
      eventId: f.eventA.id,
    });
    t.is(unnamed.status, 400, `a card sale at a printer of ${who} without a reader`);
    t.is(unnamed.body.error?.code, 'card_reader_not_configured');
    t.regex(unnamed.body.error?.message, /not set up at this station/);
    const offer = await printerCall(f.h, stranger, 'get', `/api/printer/kiosk-payments?readerId=${TEST_READER}`);
    t.is(offer.status, 200);
    t.is(offer.body.card, null, `a printer of ${who} reads nothing of venue A's reader`);
    t.is(offer.body.phone, true, 'phone payment is still offered');
  }
  t.deepEqual(f.h.terminal!.payments(), booksBefore, 'no payment was started on the reader');
  t.deepEqual(await f.h.kioskSales!.listRecent(100), salesBefore, 'no sale was recorded');
  t.is((await f.h.terminal!.reader(TEST_READER)).status, 'busy', 'the reader still waits for its own fan’s card');

  // Its own printer, with its reader named or not, is offered it.
  for (const query of [`?readerId=${TEST_READER}`, '']) {
    const own = await printerCall(f.h, f.printer, 'get', `/api/printer/kiosk-payments${query}`).expect(200);
    t.deepEqual(own.body.card, { readerId: TEST_READER, status: 'busy' });
  }
});

test('/pay/test-kiosk lists waiting phone checkouts to anyone, only with the test gateway', async (t) => {
  const f = await fixture();
  t.teardown(() => f.h.close());
  const phone = await printerCall(f.h, f.printer, 'post', '/api/printer/kiosk-sales', {
    eventId: f.eventA.id,
    items: [{ imageId: f.imageA.id, copies: 1 }],
    channel: 'kiosk-phone',
    idempotencyKey: 'authz-phone-listed',
  }).expect(201);
  const page = await inject(f.h.callback, { method: 'GET', url: '/pay/test-kiosk' });
  t.is(page.status, 200);
  // Deliberate for the demo: the test gateway's "phone" finds the QR code's page here.
  t.true(page.body.toString('utf8').includes(new URL(phone.body.checkoutUrl).pathname));
  // With any other gateway (none, Stripe) the page does not exist.
  const real = createApp({ ...f.h.deps, payments: new NoPaymentGateway() }, f.h.services);
  t.false(routesOf(real).some((r) => r.path === '/pay/test-kiosk'));
});

test('a revoked printer loses access at once, and an upload by a photographer still works', async (t) => {
  const f = await fixture();
  t.teardown(() => f.h.close());
  t.is((await printerCall(f.h, f.spare, 'get', '/api/printer/me')).status, 200);
  await f.h.http.post(`/api/printers/${f.spare.id}/revoke`).set(asOperator).expect(200);
  const after = await printerCall(f.h, f.spare, 'get', '/api/printer/me');
  t.is(after.status, 403);
  t.is(after.body.error.code, 'printer_revoked');
  const upload = await call(
    f,
    'POST',
    { path: `/api/events/${f.eventA.id}/images`, raw: multipart(await sampleJpeg(77), 'x.jpg') },
    'photographer',
  );
  t.is(upload.status, 201);
});

/**
 * The edge node's local API has no authentication by design: it listens on loopback (statusHost
 * defaults to 127.0.0.1), so only software on the printer's own machine (the kiosk screen, the
 * keyboard-wedge scanner bridge, the `redeem` CLI, monitoring) reaches it. Redeeming there still
 * needs a genuine signed code, and the node's own signed requests are what the coordinator trusts.
 * Exposing it on the LAN is an operator's explicit choice (VPM_STATUS_HOST).
 */
const LOCAL_API_TRUST: Record<string, string> = {
  'GET /status': 'loopback: node health for the operator',
  'GET /metrics': 'loopback: Prometheus scrape',
  'GET /api/events/:eventId/arrivals':
    'loopback: when photos became printable here (ids and times of photos the venue already sells); read-only',
  'POST /api/redeem': 'loopback: scanner/kiosk hands in a code; the code itself is the credential',
  'GET /api/redemptions/:orderId': 'loopback: kiosk follows a redemption it started',
  'POST /api/printers/:name/roll-loaded':
    'loopback: station staff (or their tooling) say a new roll is in; it only resets a counter and resumes a stopped queue',
};

test("the edge node's local API: every route has a documented trust model, and it binds to loopback by default", (t) => {
  const app = createLocalApi({
    status: async () => ({}),
    metrics: async () => ({ contentType: 'text/plain', body: '' }),
    redeem: async () => {
      throw new Error('not called');
    },
    progress: () => null,
  });
  const routes = routesOf(app).map(routeKey);
  const missing = routes.filter((r) => !LOCAL_API_TRUST[r]);
  t.deepEqual(missing, [], `local API routes without a trust entry: ${missing.join(', ')}`);
  const parsed = edgeConfigSchema.parse({ coordinatorUrl: 'http://127.0.0.1:8080', dhtBootstrap: '127.0.0.1:49737' });
  t.is(parsed.statusHost, '127.0.0.1');
});
