import type { AddressInfo } from 'node:net';
import test from 'ava';
import sharp from 'sharp';
import request from 'supertest';
import type { RedemptionProgress } from '../edge-node/jobs/redemption-service.ts';
import { type KioskMessage, refusalMessage } from '../edge-node/kiosk/kiosk-messages.ts';
import type { KioskDeps } from '../edge-node/kiosk/kiosk-routes.ts';
import { KIOSK_THUMB_SIDE_PX } from '../edge-node/kiosk/thumbnails.ts';
import type { PrinterStatus } from '../edge-node/printing/port.ts';
import { createLocalApi } from '../edge-node/status/local-api.ts';
import { AppError, ERRORS, type ErrorCode } from '../shared/errors.ts';

const ORDER = 'order-1';

function progress(states: RedemptionProgress['units'][number]['state'][]): RedemptionProgress {
  return {
    orderId: ORDER,
    code: 'ABCDEFGH',
    done: states.every((s) => s === 'printed'),
    units: states.map((state, unit) => ({ unit, imageId: `img-${unit}`, copy: 1, state })),
  };
}

/** A local API whose kiosk talks to a scripted node: what it redeemed, read, and who listens. */
async function kioskApp(opts: { printer?: PrinterStatus['state']; startRedeem?: KioskDeps['startRedeem'] } = {}) {
  const photo = await sharp({ create: { width: 1600, height: 1200, channels: 3, background: '#3080c0' } })
    .jpeg()
    .toBuffer();
  const calls = { startRedeem: 0, localImage: 0 };
  const listeners = new Set<(p: RedemptionProgress) => void>();
  let current: RedemptionProgress | null = null;
  const printer: PrinterStatus = { state: opts.printer ?? 'ready', detail: 'scripted', checkedAt: 0 };
  const kiosk: KioskDeps = {
    async startRedeem(code) {
      calls.startRedeem++;
      if (opts.startRedeem) return opts.startRedeem(code);
      current = progress(['queued', 'queued']);
      return current;
    },
    progress: (orderId) => (orderId === ORDER ? current : null),
    watch(_orderId, listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    printer: async () => printer,
    watchPrinter: () => () => {},
    async localImage(orderId, imageId) {
      calls.localImage++;
      return orderId === ORDER && imageId === 'img-0' ? photo : null;
    },
    names: () => ({ venue: 'Arena <main>', printer: 'Gate "3"' }),
  };
  const app = createLocalApi({
    status: async () => ({}),
    metrics: async () => ({ contentType: 'text/plain', body: '' }),
    redeem: async () => {
      throw new Error('not the kiosk path');
    },
    progress: () => null,
    kiosk,
  });
  const emit = (p: RedemptionProgress) => {
    current = p;
    for (const l of listeners) l(p);
  };
  return { app, calls, listeners, emit };
}

test('the kiosk page: strict CSP, no inline script, names escaped, / leads to it, assets only from the list', async (t) => {
  const { app } = await kioskApp();
  const agent = request(app.callback());
  const root = await agent.get('/');
  t.is(root.status, 302);
  t.is(root.headers.location, '/kiosk');
  const page = await agent.get('/kiosk');
  t.is(page.status, 200);
  t.regex(page.headers['content-security-policy'] ?? '', /script-src 'self'(;|$)/);
  t.notRegex(page.headers['content-security-policy'] ?? '', /unsafe-inline/);
  t.notRegex(page.text, /<script(?![^>]*\bsrc=)[^>]*>/, 'every script has a src');
  t.notRegex(page.text, /\sstyle=|\son[a-z]+=/, 'no inline styles or handlers');
  t.true(page.text.includes('Arena &lt;main&gt; · Gate &quot;3&quot;'));
  for (const id of ['screen-attract', 'camera-video', 'type-code-button', 'code-input', 'prints', 'screen-message']) {
    t.true(page.text.includes(`id="${id}"`), id);
  }
  // The typed-code keypad: every character a short code can hold, none it cannot, and a delete key.
  const keys = [...page.text.matchAll(/data-key="([^"]+)"/g)].map((m) => m[1]);
  t.deepEqual(keys, [...'0123456789', 'Backspace', ...'ABCDEFGHJKMNPQRSTVWXYZ']);
  t.regex(page.text, /id="code-input"[^>]*autocapitalize="characters"/);
  // Nothing typed yet: "Print my photos" waits for a whole code (kiosk.js enables it).
  t.regex(page.text, /<button id="type-submit"[^>]*\sdisabled[\s>]/);
  t.regex(page.text, /id="message-icon"/);
  // The words module the page's script imports is served, and is the file the node's tests check.
  const script = await agent.get('/kiosk/assets/kiosk.js');
  t.regex(script.text, /from '\.\/kiosk-words\.js'/);
  const words = await agent.get('/kiosk/assets/kiosk-words.js');
  t.is(words.status, 200);
  t.regex(words.headers['content-type'] ?? '', /javascript/);
  t.regex(words.text, /export function canSubmitCode/);
  // No success tick on any message; the numbered tile gives way once the thumbnail is loaded.
  const css = await agent.get('/kiosk/assets/kiosk.css');
  t.notRegex(css.text, /[✓✔]/);
  t.regex(css.text, /\.thumb:has\(img\[data-loaded\]\) \.thumb-placeholder \{\s*display: none;/);
  t.regex(script.text, /thumb-placeholder/);
  const jsqr = await agent.get('/kiosk/assets/jsqr.js');
  t.is(jsqr.status, 200);
  t.regex(jsqr.headers['content-type'] ?? '', /javascript/);
  t.regex(jsqr.text, /export default module\.exports;\s*$/);
  t.is((await agent.get('/kiosk/assets/kiosk-routes.ts')).status, 404);
  t.is((await agent.get('/kiosk/assets/..%2Fkiosk-routes.ts')).status, 404);
  // The automatic return can be shortened for a demo, never lengthened.
  const shortened = await agent.get('/kiosk?return=3');
  t.regex(shortened.text, /data-done-return-ms="3000"/);
  const lengthened = await agent.get('/kiosk?return=99999');
  t.regex(lengthened.text, /data-done-return-ms="20000"/);
});

test('redeeming at the kiosk: out of paper refuses before claiming; a refusal carries where the order was printed', async (t) => {
  const paperOut = await kioskApp({ printer: 'paper_out' });
  const res = await request(paperOut.app.callback())
    .post('/kiosk/redeem')
    .send({ code: 'X'.repeat(110) });
  t.is(res.status, 503);
  t.is(res.body.error.code, 'printer_paper_out');
  t.is(res.body.message.kind, 'printer');
  t.regex(res.body.message.title, /out of paper/);
  t.is(paperOut.calls.startRedeem, 0, 'no order was claimed at a printer that cannot print');

  const printedElsewhere = await kioskApp({
    startRedeem: async () => {
      throw new AppError('order_already_printed', 'This order was already printed at Gate 3.', {
        printerName: 'Gate 3',
      });
    },
  });
  const refused = await request(printedElsewhere.app.callback()).post('/kiosk/redeem').send({ code: 'CODE1234' });
  t.is(refused.status, 409);
  t.is(refused.body.message.kind, 'already_printed');
  t.regex(refused.body.message.text, /already printed at Gate 3/);

  const claimed = await kioskApp();
  const ok = await request(claimed.app.callback()).post('/kiosk/redeem').send({ code: 'CODE1234' });
  t.is(ok.status, 200);
  t.is(ok.body.progress.orderId, ORDER);
  const bad = await request(claimed.app.callback()).post('/kiosk/redeem').send({ code: '' });
  t.is(bad.status, 400);
  t.is(bad.body.message.kind, 'unknown');
});

test('thumbnails: only for prints of orders redeemed here, small, made once per photo', async (t) => {
  const { app, calls } = await kioskApp();
  const agent = request(app.callback());
  t.is((await agent.get(`/kiosk/orders/${ORDER}/items/0/thumb.jpg`)).status, 404, 'nothing redeemed yet');
  await agent.post('/kiosk/redeem').send({ code: 'CODE1234' });
  const thumb = await agent.get(`/kiosk/orders/${ORDER}/items/0/thumb.jpg`).buffer(true);
  t.is(thumb.status, 200);
  t.is(thumb.headers['content-type'], 'image/jpeg');
  const meta = await sharp(thumb.body as Buffer).metadata();
  t.true(Math.max(meta.width, meta.height) <= KIOSK_THUMB_SIDE_PX);
  await agent.get(`/kiosk/orders/${ORDER}/items/0/thumb.jpg`);
  t.is(calls.localImage, 1, 'the second request came from the cache');
  const notHeld = await agent.get(`/kiosk/orders/${ORDER}/items/1/thumb.jpg`);
  t.is(notHeld.status, 404);
  t.is(notHeld.body.error.code, 'thumbnail_not_ready');
  t.is((await agent.get(`/kiosk/orders/${ORDER}/items/7/thumb.jpg`)).status, 404);
  t.is((await agent.get(`/kiosk/orders/other/items/0/thumb.jpg`)).status, 404);
});

test('live progress: the event stream sends the current state, then every change, and lets go when the screen leaves', async (t) => {
  const { app, listeners, emit } = await kioskApp();
  const server = app.listen(0, '127.0.0.1');
  t.teardown(
    () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  );
  await new Promise((r) => server.once('listening', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  await fetch(`${base}/kiosk/redeem`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ code: 'CODE1234' }),
  });
  t.is((await fetch(`${base}/kiosk/orders/nope/events`)).status, 404);
  const abort = new AbortController();
  const res = await fetch(`${base}/kiosk/orders/${ORDER}/events`, { signal: abort.signal });
  t.regex(res.headers.get('content-type') ?? '', /text\/event-stream/);
  const reader = res.body!.getReader();
  let text = '';
  const readUntil = async (pattern: RegExp) => {
    while (!pattern.test(text)) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`stream ended before ${pattern}: ${text}`);
      text += Buffer.from(value).toString();
    }
  };
  await readUntil(/event: progress\ndata: .*"queued"/);
  t.regex(text, /event: printer\ndata: \{"state":"ready"/);
  emit(progress(['fetching_cloud', 'queued']));
  emit(progress(['printed', 'printing']));
  await readUntil(/"printing"/);
  t.true(text.indexOf('"fetching_cloud"') < text.indexOf('"printing"'), 'changes arrive in order, none skipped');
  t.is(listeners.size, 1);
  abort.abort();
  await reader.cancel().catch(() => {});
  const released = await new Promise<boolean>((resolve) => {
    const started = Date.now();
    const check = () => {
      if (listeners.size === 0) resolve(true);
      else if (Date.now() - started > 2_000) resolve(false);
      else setTimeout(check, 20);
    };
    check();
  });
  t.true(released, 'the stream unsubscribed when the browser went away');
});

test('every refusal the node or the coordinator gives has its own words on the kiosk, and names the printer when known', (t) => {
  const expected: Partial<Record<ErrorCode, KioskMessage['kind']>> = {
    token_malformed: 'unknown',
    token_bad_signature: 'unknown',
    token_unknown_key: 'unknown',
    token_unsupported_version: 'unknown',
    token_expired: 'expired',
    order_not_found: 'unknown',
    order_other_venue: 'unknown',
    order_not_paid: 'not_paid',
    order_already_printed: 'already_printed',
    order_claimed_elsewhere: 'printing_elsewhere',
    printer_paper_out: 'printer',
    printer_cover_open: 'printer',
    coordinator_unreachable: 'offline',
    offline_unavailable: 'offline',
    order_not_known_offline: 'offline',
    typed_code_needs_network: 'offline',
    too_many_code_attempts: 'unknown',
    // Not printer states: the printer's own pairing or signature, worded as "not working", never a paper jam.
    printer_not_paired: 'printer',
    printer_auth_stale: 'printer',
  };
  for (const [code, kind] of Object.entries(expected) as Array<[ErrorCode, KioskMessage['kind']]>) {
    t.is(refusalMessage(code, undefined).kind, kind, code);
  }
  t.is(refusalMessage('internal_error', undefined).kind, 'error');
  t.is(refusalMessage('printer_auth_stale', undefined).title, 'This printer is not working right now');
  t.regex(refusalMessage('order_claimed_elsewhere', { printerName: 'Gate 3' }).text, /at Gate 3 right now/);
  t.notRegex(refusalMessage('order_already_printed', { printerName: null }).text, / at /);
  t.is(refusalMessage('typed_code_needs_network', undefined).title, 'Scan the QR code');
  t.regex(refusalMessage('too_many_code_attempts', { retryAfterSeconds: 30 }).text, /for 30 seconds.*QR code/);
});

test('a refusal never wears a success tick: "Already printed" says stop, not done', (t) => {
  const SUCCESS_GLYPHS = /[✓✔☑✅]/;
  for (const code of Object.keys(ERRORS) as ErrorCode[]) {
    const m = refusalMessage(code, undefined);
    t.truthy(m.icon, code);
    t.notRegex(m.icon, SUCCESS_GLYPHS, code);
  }
  t.is(refusalMessage('order_already_printed', { printerName: 'Gate 3' }).icon, '!');
  t.is(refusalMessage('printer_paper_out', undefined).icon, '!');
});

test("an unknown typed code and another venue's full code tell the same story", (t) => {
  // The coordinator answers another venue's typed code as unknown (no enumerating codes across venues),
  // so the unknown-code words must cover that case, and agree with what the full code says outright.
  const unknown = refusalMessage('order_not_found', undefined);
  const otherVenue = refusalMessage('order_other_venue', undefined);
  t.is(unknown.kind, 'unknown');
  t.is(otherVenue.kind, 'unknown');
  t.regex(unknown.title, /do not recognise this code here/);
  t.regex(unknown.text, /another venue, it prints only there/);
  t.regex(otherVenue.title, /another venue/);
  t.regex(otherVenue.text, /prints only at the venue it was bought for/);
  t.notRegex(otherVenue.title, /^Wrong venue$/);
  for (const code of ['token_malformed', 'token_bad_signature', 'invalid_input'] as const) {
    t.deepEqual(refusalMessage(code, undefined), unknown, code);
  }
});
