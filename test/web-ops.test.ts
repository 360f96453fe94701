import { createServer, get as httpGet, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import test from 'ava';
import pino from 'pino';
import { createApp } from '../coordinator/app.ts';
import { credentialIdOf, hashBearerToken } from '../coordinator/http/auth.ts';
import {
  computeAlerts,
  DEFAULT_ALERT_THRESHOLDS,
  LAG_ALERT_MS,
  OFFLINE_ALERT_MS,
} from '../coordinator/services/alerts.ts';
import { OpsMonitor } from '../coordinator/services/ops-monitor.ts';
import { buildPrinterRows, type PrinterRow, ThroughputTracker } from '../coordinator/services/printer-rows.ts';
import type { PrinterRecord, PrinterReportRecord } from '../coordinator/store/records.ts';
import { printerRowHtml } from '../coordinator/web/ops/dashboard-view.ts';
import { buildHeatmap, cellTone, MAX_HEATMAP_COLUMNS } from '../coordinator/web/ops/heatmap.ts';
import { OPS_STREAM_HEARTBEAT_MS } from '../coordinator/web/ops/stream-routes.ts';
import { ERRORS } from '../shared/errors.ts';
import { ManualClock } from '../shared/ports/clock.ts';
import {
  asOperator,
  asPhotographer,
  createHarness,
  type Harness,
  HOUR_MS,
  OPERATOR_TOKEN,
  paidOrder,
  printerCall,
  seedEvent,
  seedVenue,
} from './fixtures/app-harness.ts';
import { driveUntil } from './fixtures/drive-clock.ts';
import { SAME_ORIGIN, signIn } from './fixtures/staff-session.ts';

const T0 = Date.UTC(2026, 5, 1, 12, 0);
const t_ = DEFAULT_ALERT_THRESHOLDS;

async function harness(t: { teardown(fn: () => Promise<void>): void }): Promise<Harness> {
  const h = await createHarness();
  t.teardown(() => h.close());
  return h;
}

function statusReport(over: Record<string, unknown> = {}) {
  return {
    version: '1.4.0',
    uptimeMs: 60_000,
    events: [],
    bytesFromLan: 0,
    bytesFromCloud: 0,
    bytesToLan: 0,
    lanPeers: 1,
    blockedPeers: 0,
    cloudConnected: true,
    queue: 0,
    printer: { state: 'ready', detail: 'Ready.' },
    lastError: null,
    ...over,
  };
}

function row(over: Partial<PrinterRow> = {}): PrinterRow {
  return {
    id: 'p1',
    name: 'Gate A',
    venueId: 'v1',
    venueName: 'Arena',
    pairedAt: T0 - 3_600_000,
    revoked: false,
    online: true,
    lastSeenAt: T0 - 5_000,
    reportedAt: T0 - 5_000,
    version: '1.4.0',
    queue: 0,
    printerState: 'ready',
    printerDetail: 'Ready.',
    lastError: null,
    bytesFromLan: 0,
    bytesFromCloud: 0,
    throughputBytesPerSec: null,
    lanPeers: 1,
    cloudConnected: true,
    events: [],
    ...over,
  };
}

const lagging = (lagMs: number | null) => ({
  eventId: 'e1',
  eventName: 'Cup final',
  imagesHeld: 8,
  imagesTotal: 10,
  percent: 80,
  bytesNeeded: 4_000_000,
  lagMs,
});

test('alerts: offline after the threshold (also a printer never seen since pairing)', (t) => {
  t.deepEqual(computeAlerts([row()], T0, t_), []);
  t.deepEqual(computeAlerts([row({ lastSeenAt: T0 - OFFLINE_ALERT_MS })], T0, t_), [], 'at the threshold: not yet');
  const [offline] = computeAlerts([row({ lastSeenAt: T0 - OFFLINE_ALERT_MS - 1 })], T0, t_);
  t.is(offline?.kind, 'offline');
  t.is(offline?.severity, 'critical');
  t.regex(offline!.message, /Gate A has been silent for 2 minutes/);
  const never = computeAlerts([row({ lastSeenAt: null, pairedAt: T0 - 10 * 60_000 })], T0, t_);
  t.regex(never[0]!.message, /has not connected in the 10 minutes since it was paired/);
  t.deepEqual(computeAlerts([row({ lastSeenAt: null, pairedAt: T0 - 1000 })], T0, t_), [], 'just paired');
  t.deepEqual(computeAlerts([row({ lastSeenAt: null, pairedAt: 0, revoked: true })], T0, t_), [], 'revoked: no alerts');
  t.is(computeAlerts([row({ lastSeenAt: T0 - 20 * 60_000 })], T0, { ...t_, offlineAlertMs: 30 * 60_000 }).length, 0);
});

test('alerts: paper out, printer faults, lag above the threshold; an offline printer only alerts offline', (t) => {
  const paper = computeAlerts([row({ printerState: 'paper_out' })], T0, t_);
  t.deepEqual(
    paper.map((a) => [a.id, a.kind, a.severity]),
    [['paper_out:p1', 'paper_out', 'critical']],
  );
  const cover = computeAlerts([row({ printerState: 'cover_open', printerDetail: 'Close the cover.' })], T0, t_);
  t.is(cover[0]!.kind, 'printer_fault');
  t.regex(cover[0]!.message, /Close the cover/);
  t.deepEqual(computeAlerts([row({ printerState: 'printing' })], T0, t_), []);

  t.deepEqual(computeAlerts([row({ events: [lagging(LAG_ALERT_MS)] })], T0, t_), [], 'at the threshold: not yet');
  t.deepEqual(computeAlerts([row({ events: [lagging(null)] })], T0, t_), []);
  const lag = computeAlerts([row({ events: [lagging(LAG_ALERT_MS + 60_000)] })], T0, t_);
  t.deepEqual(
    lag.map((a) => [a.id, a.severity, a.eventId]),
    [['lag:p1:e1', 'warning', 'e1']],
  );
  t.regex(lag[0]!.message, /6 minutes behind on Cup final: 2 photos still to fetch/);

  const silent = row({
    lastSeenAt: T0 - OFFLINE_ALERT_MS - 1,
    printerState: 'paper_out',
    events: [lagging(LAG_ALERT_MS * 2)],
  });
  t.deepEqual(
    computeAlerts([silent], T0, t_).map((a) => a.kind),
    ['offline'],
  );

  const many = computeAlerts(
    [
      row({ id: 'p2', name: 'B', events: [lagging(LAG_ALERT_MS + 1)] }),
      row({ id: 'p3', name: 'C', printerState: 'paper_out' }),
      row({ id: 'p4', name: 'A', printerState: 'error', printerDetail: 'Jam.' }),
    ],
    T0,
    t_,
  );
  t.deepEqual(
    many.map((a) => a.id),
    ['printer_fault:p4', 'paper_out:p3', 'lag:p2:e1'],
    'critical first, then by printer name',
  );
});

/** A paired printer that last called 9 s ago. */
const gateA: PrinterRecord = {
  id: 'p1',
  venueId: 'v1',
  name: 'Gate A',
  pairedAt: T0 - 60_000,
  revokedAt: null,
  lastSeenAt: T0 - 9_000,
};

test('rows: replication percent, last seen, report fields, throughput from successive reports', (t) => {
  const printer = gateA;
  const report = (receivedAt: number, bytesFromLan: number): PrinterReportRecord => ({
    printerId: 'p1',
    venueId: 'v1',
    receivedAt,
    report: statusReport({
      bytesFromLan,
      bytesFromCloud: 1000,
      queue: 2,
      events: [{ eventId: 'e1', imagesHeld: 1, imagesTotal: 3, bytesNeeded: 2048, oldestMissingAgeMs: 7000 }],
    }),
  });
  const tracker = new ThroughputTracker();
  const build = (r: PrinterReportRecord, printers = [printer]) =>
    buildPrinterRows({
      printers,
      reports: [r],
      venueNames: new Map([['v1', 'Arena']]),
      eventNames: new Map([['e1', 'Cup final']]),
      now: T0,
      thresholds: t_,
      throughput: tracker,
    });
  const [first] = build(report(T0 - 10_000, 0));
  t.is(first!.lastSeenAt, T0 - 9_000, 'the later of last request and last report');
  t.is(first!.queue, 2);
  t.is(first!.venueName, 'Arena');
  t.deepEqual(first!.events, [
    {
      eventId: 'e1',
      eventName: 'Cup final',
      imagesHeld: 1,
      imagesTotal: 3,
      percent: 33,
      bytesNeeded: 2048,
      lagMs: 7000,
    },
  ]);
  t.is(first!.throughputBytesPerSec, null, 'one report gives no rate');
  t.is(build(report(T0 - 5_000, 500_000))[0]!.throughputBytesPerSec, 100_000);
  t.is(build(report(T0 - 5_000, 500_000))[0]!.throughputBytesPerSec, 100_000, 'the same report keeps its rate');
  t.is(build(report(T0, 10))[0]!.throughputBytesPerSec, null, 'a restarted node resets its counters');

  const revoked = { ...printer, id: 'p0', revokedAt: T0 - 1 };
  const rows = build(report(T0, 10), [revoked, printer]);
  t.deepEqual(
    rows.map((r) => [r.id, r.revoked, r.online]),
    [
      ['p1', false, true],
      ['p0', true, false],
    ],
    'revoked printers last',
  );
  const broken: PrinterReportRecord = { printerId: 'p1', venueId: 'v1', receivedAt: T0, report: { version: 1 } };
  t.is(build(broken)[0]!.printerState, null, 'a report this version cannot read shows as none');
});

test("rows: a printer's detours are carried from its report and shown under its LAN bytes once it has any", (t) => {
  const build = (report: Record<string, unknown>) =>
    buildPrinterRows({
      printers: [gateA],
      reports: [{ printerId: 'p1', venueId: 'v1', receivedAt: T0, report }],
      venueNames: new Map(),
      eventNames: new Map(),
      now: T0,
      thresholds: t_,
    })[0]!;
  const detours = { asked: 3, served: 5, declined: 2, serving: 1, rejectedMessages: 0 };
  const withDetours = build(statusReport({ photoDetours: detours }));
  t.deepEqual(withDetours.photoDetours, detours);
  t.false('photoDetours' in build(statusReport()), 'an older printer reports none');

  const text = (r: PrinterRow) =>
    String(printerRowHtml(r, T0))
      .replace(/<[^>]+>/g, ' ')
      .replace(/\s+/g, ' ');
  t.regex(text(withDetours), /detours: asked 3 · served 5 \(1 now\) · declined 2/);
  t.notRegex(text(withDetours), /malformed/, 'nothing malformed, nothing said');
  t.regex(text(row({ photoDetours: { ...detours, rejectedMessages: 4 } })), /4 malformed ignored/);
  const idle = { asked: 0, served: 0, declined: 0, serving: 0, rejectedMessages: 0 };
  t.notRegex(text(row({ photoDetours: idle })), /detours/, 'a printer that never took a detour shows no line');
  t.notRegex(text(row()), /detours/);
  t.regex(text(row({ photoDetours: { ...idle, served: 1 } })), /detours: asked 0 · served 1 /);
});

test('heat map: photos grouped into at most MAX_HEATMAP_COLUMNS columns; share held per cell', (t) => {
  const n = 250;
  const images = Array.from({ length: n }, (_, i) => ({ id: `i${i}`, seq: i, byteLength: 10, inFeed: i < 240 }));
  const printer = (id: string, holds: boolean[], revokedAt: number | null = null) => ({
    printer: { id, venueId: 'v', name: id, pairedAt: 0, revokedAt, lastSeenAt: null },
    reportedAt: null,
    heldCount: holds.filter(Boolean).length,
    bytesNeeded: 0,
    holds,
  });
  const map = buildHeatmap({
    eventId: 'e',
    images,
    printers: [
      printer(
        'all',
        images.map((i) => i.inFeed),
      ),
      printer(
        'half',
        images.map((_, i) => i % 2 === 0),
      ),
      printer('gone', [], 1),
    ],
  });
  t.true(map.columns.length <= MAX_HEATMAP_COLUMNS);
  t.deepEqual(map.columns[0], { from: 1, to: 3 });
  t.deepEqual(map.columns.at(-1), { from: 250, to: 250 });
  t.deepEqual(
    map.rows.map((r) => r.name),
    ['all', 'half'],
    'revoked printers are left out',
  );
  t.deepEqual(
    map.rows[0]!.cells.map(cellTone).slice(-5),
    ['all', 'pending', 'pending', 'pending', 'pending'],
    'photos not on the feed yet are marked, not counted missing',
  );
  t.deepEqual(map.rows[1]!.cells[0], { available: 3, held: 2 });
  t.deepEqual(map.rows[1]!.cells.at(-1), { available: 0, held: 0 }, 'photo 250: not on the feed, not held');
  t.is(cellTone({ available: 3, held: 1 }), 'low');
  t.is(cellTone({ available: 3, held: 0 }), 'none');
  t.is(cellTone({ available: 1, held: 1 }), 'all', 'held before this coordinator saw it on the feed');
});

/**
 * Reads Server-Sent Events from the app until told to stop. Served on an ephemeral loopback port
 * (as supertest does) because supertest cannot abort a streaming response cleanly. The dashboard
 * polls on the harness's manual clock: `next` moves that clock one poll interval at a time while it
 * waits, so an update arrives because a poll fell due, not because wall time passed.
 */
async function openStream(
  callback: (req: IncomingMessage, res: ServerResponse) => void,
  headers: Record<string, string>,
  h?: Pick<Harness, 'clock' | 'deps'>,
) {
  let serverSideClosed: Promise<void> = Promise.resolve();
  const server = createServer((req, res) => {
    // Registered before the app's own listener (the route runs later): once this one has run and
    // the turn is over, the app has unsubscribed the stream.
    serverSideClosed = new Promise((resolve) => res.once('close', () => setImmediate(resolve)));
    callback(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const events: Array<{ type: string; data: unknown }> = [];
  let buffer = '';
  const response = await new Promise<IncomingMessage>((resolve, reject) => {
    const req = httpGet({ host: '127.0.0.1', port, path: '/api/ops/stream', headers }, resolve);
    req.on('error', reject);
  });
  response.setEncoding('utf8');
  response.on('error', () => undefined); // our own close() aborts it
  response.on('data', (chunk: string) => {
    buffer += chunk;
    for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const type = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (type && data) events.push({ type, data: JSON.parse(data) });
    }
  });
  return {
    events,
    status: response.statusCode,
    contentType: String(response.headers['content-type']),
    async next(predicate: (e: { type: string; data: unknown }) => boolean, timeoutMs = 5_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = events.find(predicate);
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`no matching event; saw ${events.map((e) => e.type).join(',')}`);
        h?.clock.advance(h.deps.settings.ops.streamPollMs);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    /** Resolves once the server has seen the disconnect (the app unsubscribed) and closed. */
    async close() {
      response.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await serverSideClosed;
    },
  };
}

interface StreamRows {
  rows?: PrinterRow[];
  changed?: PrinterRow[];
  alerts: Array<{ kind: string; printerId: string }>;
  html: { rows: Record<string, string>; alerts: string };
}

test('the SSE stream sends a snapshot, then the changed row after a printer reports', async (t) => {
  const h = await harness(t);
  const { event, printers } = await seedVenue(h, { images: 1, printers: 2 });
  const printer = printers[0]!;
  const { cookie } = await signIn(h, OPERATOR_TOKEN);
  const stream = await openStream(h.callback, { cookie }, h);
  t.teardown(stream.close);

  const snapshot = (await stream.next((e) => e.type === 'snapshot')).data as StreamRows;
  t.is(stream.status, 200);
  t.regex(stream.contentType, /^text\/event-stream/);
  t.deepEqual(snapshot.rows!.map((r) => [r.name, r.printerState]).sort(), [
    ['Printer 1', null],
    ['Printer 2', null],
  ]);
  t.regex(snapshot.html.rows[printer.id]!, /<tr data-id="[0-9a-f]{64}"/);

  await printerCall(
    h,
    printer,
    'put',
    '/api/printer/status',
    statusReport({
      queue: 3,
      printer: { state: 'paper_out', detail: 'The printer is out of paper.' },
      events: [{ eventId: event.id, imagesHeld: 0, imagesTotal: 1, bytesNeeded: 1234, oldestMissingAgeMs: 1000 }],
    }),
  ).expect(204);

  const update = (
    await driveUntil(
      h.clock,
      stream.next((e) => e.type === 'update' && ((e.data as StreamRows).changed ?? []).some((r) => r.queue === 3)),
      h.deps.settings.ops.streamPollMs,
    )
  ).data as StreamRows;
  t.deepEqual(
    update.changed!.map((r) => [r.id, r.queue, r.printerState, r.events[0]?.eventName]),
    [[printer.id, 3, 'paper_out', 'Cup final']],
    'only the row that changed',
  );
  t.deepEqual(
    update.alerts.map((a) => [a.kind, a.printerId]),
    [['paper_out', printer.id]],
  );
  t.regex(update.html.rows[printer.id]!, /Out of paper/);
  t.regex(update.html.alerts, /out of paper: load a new roll/);
});

test('the stream polls only while watched, and stops when the last viewer leaves', async (t) => {
  const h = await harness(t);
  const clock = new ManualClock(T0);
  const { store, counter } = countingStore(h);
  const monitor = new OpsMonitor({ store, clock, thresholds: t_, pollMs: 10, logger: pino({ level: 'silent' }) });
  const seen: string[] = [];
  const stopA = monitor.subscribe((m) => seen.push(`a:${m.type}`));
  const stopB = monitor.subscribe((m) => seen.push(`b:${m.type}`));
  // The first viewer started a poll (it reads the printers at once); both share it.
  t.is(counter.polls, 1, 'one poll for both viewers');
  await monitor.pollNow();
  t.deepEqual(seen.sort(), ['a:snapshot', 'b:snapshot']);
  for (let polls = 2; polls <= 4; polls++) {
    clock.advance(9);
    t.is(counter.polls, polls - 1, 'not before the interval');
    clock.advance(1);
    t.is(counter.polls, polls, `poll ${polls} when the interval is up`);
    await monitor.pollNow(); // the poll just started: wait for it to finish and schedule the next
  }
  stopA();
  t.is(monitor.subscriberCount, 1);
  clock.advance(10);
  t.is(counter.polls, 5, 'still polling for the other viewer');
  await monitor.pollNow();
  stopB();
  t.is(monitor.subscriberCount, 0);
  t.is(clock.pendingTimers, 0, 'no poll is scheduled without viewers');
  await clock.tick(1_000);
  t.is(counter.polls, 5, 'no polling without viewers');
  t.is(seen.filter((s) => s.endsWith('update')).length, 0, 'nothing changed, nothing sent');
});

test('closing the monitor stops its polling for good, even with viewers left', async (t) => {
  const h = await harness(t);
  const clock = new ManualClock(T0);
  const { store, counter } = countingStore(h);
  const monitor = new OpsMonitor({ store, clock, thresholds: t_, pollMs: 10, logger: pino({ level: 'silent' }) });
  const seen: string[] = [];
  monitor.subscribe((m) => seen.push(m.type));
  await monitor.pollNow();
  t.is(clock.pendingTimers, 1);
  monitor.close();
  t.is(clock.pendingTimers, 0, 'the scheduled poll is cancelled');
  t.is(monitor.subscriberCount, 0);
  const polls = counter.polls;
  await clock.tick(100);
  t.is(counter.polls, polls, 'no poll after close');
  monitor.subscribe((m) => seen.push(`late:${m.type}`));
  await clock.tick(100);
  t.is(clock.pendingTimers, 0, 'a closed monitor schedules nothing for a late viewer');
  t.is(counter.polls, polls, 'nor polls for it');
  t.deepEqual(seen, ['snapshot']);
});

/** The harness store, counting dashboard polls (each poll lists the printers once). */
function countingStore(h: Harness) {
  const counter = { polls: 0 };
  const store = new Proxy(h.store, {
    get(target, prop, receiver) {
      if (prop === 'listPrinters') counter.polls++;
      const value = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { store, counter };
}

test('a dashboard that disconnects stops the polling it caused', async (t) => {
  const h = await harness(t);
  const { store, counter } = countingStore(h);
  const app = createApp({ ...h.deps, store });
  const stream = await openStream(app.callback(), asOperator, h);
  await stream.next((e) => e.type === 'snapshot');
  const pollMs = h.deps.settings.ops.streamPollMs;
  await driveUntil(
    h.clock,
    until(() => counter.polls >= 2),
    pollMs,
  );
  t.true(counter.polls >= 2, `polled ${counter.polls} times while watched`);
  const pending = h.clock.pendingTimers;
  await stream.close();
  await until(() => h.clock.pendingTimers < pending);
  const after = counter.polls;
  await h.clock.tick(pollMs * 10);
  t.is(counter.polls, after, 'no polling after the last viewer left');
});

test('a store error during the stream heartbeat is reported as 503 and keeps the operator signed in; a revoked token signs out', async (t) => {
  const h = await harness(t);
  let storeDown = false;
  const store = new Proxy(h.store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (prop === 'getCredential') {
        return async (tokenHash: string) => {
          if (storeDown) throw new Error('connection reset by the database');
          return target.getCredential(tokenHash);
        };
      }
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  const app = createApp({ ...h.deps, store });
  const stream = await openStream(app.callback(), asOperator);
  t.teardown(stream.close);
  await stream.next((e) => e.type === 'snapshot');

  storeDown = true;
  const unavailable = await driveUntil(
    h.clock,
    stream.next((e) => e.type === 'unavailable'),
    OPS_STREAM_HEARTBEAT_MS,
  );
  t.deepEqual(unavailable.data, {
    code: 'store_unavailable',
    status: 503,
    message: ERRORS.store_unavailable.message,
  });
  t.false(
    stream.events.some((e) => e.type === 'signed_out'),
    'a store that cannot answer is not a sign-out',
  );

  // The next beat that reaches the store and finds the token revoked does sign out.
  storeDown = false;
  await h.store.revokeCredential(hashBearerToken(OPERATOR_TOKEN), h.clock.now());
  await driveUntil(
    h.clock,
    stream.next((e) => e.type === 'signed_out'),
    OPS_STREAM_HEARTBEAT_MS,
  );
  const signedOutAt = stream.events.findIndex((e) => e.type === 'signed_out');
  t.true(
    stream.events.slice(0, signedOutAt).some((e) => e.type === 'unavailable'),
    'the failed beats were reported before the sign-out',
  );
});

test('credentials: listed without tokens or hashes, revoked by id; the last operator stays', async (t) => {
  const h = await harness(t);
  const created = await h.http
    .post('/api/credentials')
    .set(asOperator)
    .send({ role: 'photographer', name: 'Sam' })
    .expect(201);
  const list = await h.http.get('/api/credentials').set(asOperator).expect(200);
  const text = JSON.stringify(list.body);
  t.false(text.includes(created.body.token));
  t.false(text.includes(hashBearerToken(created.body.token)));
  t.false(text.includes('tokenHash'));
  t.deepEqual(
    list.body.credentials
      .map((c: { name: string; role: string; revokedAt: null }) => [c.name, c.role, c.revokedAt])
      .sort(),
    [
      ['Olga Operator', 'operator', null],
      ['Pat Photographer', 'photographer', null],
      ['Sam', 'photographer', null],
    ],
  );
  t.deepEqual(Object.keys(list.body.credentials[0]).sort(), ['createdAt', 'id', 'name', 'revokedAt', 'role']);
  const sam = list.body.credentials.find((c: { name: string }) => c.name === 'Sam');
  t.is(sam.id, created.body.credential.id);

  h.clock.advance(1000);
  const revoked = await h.http.post(`/api/credentials/${sam.id}/revoke`).set(asOperator).expect(200);
  t.is(revoked.body.credential.revokedAt, h.clock.now());
  const sams = { authorization: `Bearer ${created.body.token}` };
  t.is((await h.http.post('/api/events/x/images').set(sams).attach('image', Buffer.from('x'), 'a.jpg')).status, 401);
  t.is((await h.http.post('/api/credentials/unknown/revoke').set(asOperator)).status, 404);

  const me = credentialIdOf(hashBearerToken(OPERATOR_TOKEN));
  const last = await h.http.post(`/api/credentials/${me}/revoke`).set(asOperator);
  t.is(last.status, 409);
  t.is(last.body.error.code, 'last_operator');
  t.is((await h.http.get('/api/credentials').set(asPhotographer)).status, 403);
});

test('price list update: saved when valid, 400 naming the field when not', async (t) => {
  const h = await harness(t);
  const { event } = await seedVenue(h, { images: 0, printers: 0 });
  const path = `/api/events/${event.id}/price-list`;
  const good = { currency: 'USD', unitPriceCents: 650, bundles: [{ copies: 4, priceCents: 2000 }] };
  const saved = await h.http.put(path).set(asOperator).send(good).expect(200);
  t.deepEqual(saved.body.event.priceList, good);
  t.deepEqual((await h.http.get(`/api/events/${event.id}`).expect(200)).body.event.priceList, good);

  const cases: Array<[object, string]> = [
    [{ ...good, unitPriceCents: -1 }, 'unitPriceCents'],
    [{ ...good, currency: 'euro' }, 'currency'],
    [{ ...good, bundles: [{ copies: 1, priceCents: 100 }] }, 'bundles.0.copies'],
    [{ ...good, bundles: [{ copies: 3, priceCents: 1.5 }] }, 'bundles.0.priceCents'],
  ];
  for (const [body, field] of cases) {
    const res = await h.http.put(path).set(asOperator).send(body);
    t.is(res.status, 400, field);
    t.is(res.body.error.code, 'invalid_input');
    t.true(res.body.error.message.includes(field), res.body.error.message);
    t.deepEqual(
      res.body.error.details.issues.map((i: { field: string }) => i.field),
      [field],
    );
  }
  t.deepEqual((await h.store.getEvent(event.id))?.priceList, good, 'refused updates change nothing');
  t.is((await h.http.put('/api/events/nope/price-list').set(asOperator).send(good)).status, 404);
  t.is((await h.http.put(path).set(asPhotographer).send(good)).status, 403);
});

test('event page: heat map of images × printers, orders in flight, live fragment', async (t) => {
  const h = await harness(t);
  const { event, images, printers } = await seedVenue(h, { images: 3, printers: 2 });
  await printerCall(h, printers[0]!, 'put', '/api/printer/holdings', {
    eventId: event.id,
    imageIds: images.map((i) => i.id),
  }).expect(204);
  const order = await paidOrder(h, event.id, [{ imageId: images[0]!.id, copies: 2 }]);

  const inFlight = await h.http.get(`/api/events/${event.id}/orders`).set(asOperator).expect(200);
  t.deepEqual(
    inFlight.body.orders.map((o: { id: string; state: string }) => [o.id, o.state]),
    [[order.orderId, 'paid']],
  );
  t.is((await h.http.get(`/api/events/${event.id}/orders?state=fulfilled`).set(asOperator)).body.orders.length, 0);
  t.is((await h.http.get(`/api/events/${event.id}/orders?state=bogus`).set(asOperator)).status, 400);

  const { cookie } = await signIn(h, OPERATOR_TOKEN);
  const page = await h.http.get(`/ops/events/${event.id}`).set('cookie', cookie).expect(200);
  t.regex(page.text, /<svg class="heatmap"[^>]*role="img"/);
  t.is((page.text.match(/<rect class="cell tone-/g) ?? []).length, 2 * 3 + 5, '2 printers × 3 photos + legend');
  // The fake feed appends nothing: what a printer holds still counts, the rest is "not on the feed".
  t.regex(page.text, /<rect class="cell tone-all"[^>]*><title>Printer 1, photo 1: 1 of 1 held<\/title>/);
  t.regex(page.text, /<rect class="cell tone-pending"[^>]*><title>Printer 2, photo 3: not on the feed yet<\/title>/);
  await h.store.markImageAppended(images[2]!.id, { blockOffset: 0, blockLength: 1, byteOffset: 0, byteLength: 9 }, 0);
  const appended = await h.http.get(`/ops/events/${event.id}/live`).set('cookie', cookie).expect(200);
  t.regex(appended.text, /<rect class="cell tone-none"[^>]*><title>Printer 2, photo \d: 0 of 1 held<\/title>/);
  t.regex(page.text, new RegExp(`<code>${order.order.code}</code>`));
  t.regex(page.text, /Paid, waiting for a printer/);
  const live = await h.http.get(`/ops/events/${event.id}/live`).set('cookie', cookie).expect(200);
  t.regex(live.text, /^<section aria-labelledby="delivery-heading">/);
  t.is((await h.http.get('/ops/events/nope').set('cookie', cookie)).status, 404);
});

test('every operator page renders under a strict CSP, escaping what people typed', async (t) => {
  const h = await harness(t);
  const { event } = await seedEvent(h, {
    venueName: '<b>Arena</b>',
    name: '<script>alert(1)</script>',
    endsAt: h.clock.now() + HOUR_MS,
    priceList: { currency: 'EUR', unitPriceCents: 500, bundles: [{ copies: 3, priceCents: 1200 }] },
  });
  const { cookie } = await signIn(h, OPERATOR_TOKEN, '"Olga"');
  const expectations: Array<[string, RegExp]> = [
    ['/ops', /<tbody id="fleet-rows">/],
    ['/ops/events', /<form id="new-event"/],
    [`/ops/events/${event.id}`, /Delivery to printers/],
    [`/ops/events/${event.id}/prices`, /What fans pay now[\s\S]*3 × bundle of 3|1 × bundle of 3/],
    ['/ops/printers', /<input id="pair-qr" type="file"/],
    ['/ops/tokens', /Olga Operator <span class="small">\(you\)<\/span>/],
    ['/ops/upload', /<input id="upload-files"[^>]+multiple/],
  ];
  for (const [path, pattern] of expectations) {
    const res = await h.http.get(path).set('cookie', cookie).expect(200);
    t.regex(String(res.headers['content-security-policy']), /script-src 'self';/, path);
    t.is(res.headers['cache-control'], 'no-store', path);
    t.regex(res.text, pattern, path);
    t.false(res.text.includes('<script>alert(1)</script>'), `${path} escapes the event name`);
    t.false(res.text.includes('<b>Arena</b>'), `${path} escapes the venue name`);
    t.notRegex(res.text, /<script(?![^>]*\bsrc=)[^>]*>/, `${path} has no inline script`);
    t.notRegex(res.text, /\sstyle="/, `${path} has no inline style`);
    t.regex(res.text, /&quot;Olga&quot; \(Olga Operator\)/, `${path} names who is signed in`);
  }
});

test('static assets: named files only, revalidated by ETag', async (t) => {
  const h = await harness(t);
  const css = await h.http.get('/ops/assets/ops.css').expect(200);
  t.regex(String(css.headers['content-type']), /^text\/css/);
  await h.http.get('/ops/assets/ops.css').set('if-none-match', String(css.headers.etag)).expect(304);
  const jsqr = await h.http.get('/ops/assets/jsQR.js').expect(200);
  t.regex(String(jsqr.headers['content-type']), /javascript/);
  t.regex(jsqr.text, /jsQR/);
  for (const name of ['dashboard.js', 'upload.js', 'printers.js', 'tokens.js', 'prices.js', 'events.js', 'event.js']) {
    await h.http.get(`/ops/assets/${name}`).expect(200);
  }
  for (const bad of ['../../app.ts', '..%2F..%2Fapp.ts', 'nope.js', 'toString', '__proto__']) {
    t.is((await h.http.get(`/ops/assets/${bad}`)).status, 404, bad);
  }
  // The forms post with fetch under the cookie; a cross-site form post is refused (see web-auth).
  await h.http.post('/api/venues').set(asOperator).set(SAME_ORIGIN).send({ name: 'ok' }).expect(201);
});

/** Resolves once `check` holds (checked every few ms of real time); rejects after `timeoutMs`. */
async function until(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}
