import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { loadEdgeConfig } from '../edge-node/config.ts';
import { EscPosPrinter } from '../edge-node/printing/escpos-printer.ts';
import { checkStation, createStationPrinter, openStationPrinter } from '../edge-node/printing/station-config.ts';
import { StationPool } from '../edge-node/printing/station-pool.ts';
import { ConfigError } from '../shared/config/config-error.ts';
import { IppLab, ippAvailable, PHOTO_MEDIA } from '../tools/ipp-lab.ts';

async function load(t: import('ava').ExecutionContext, body: Record<string, unknown>) {
  const dir = await mkdtemp(join(tmpdir(), 'vpm-station-config-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'printer.json');
  await writeFile(file, JSON.stringify({ coordinatorUrl: 'http://c:1', dhtBootstrap: 'c:2', ...body }));
  return loadEdgeConfig({}, ['--config', file]);
}

test('printers + receiptPrinter: defaults filled, a station pool with a receipt printer', async (t) => {
  const c = await load(t, {
    printers: [
      { kind: 'ipp', name: 'left', uri: 'ipp://10.0.0.5:631/printers/DS620', rollPrints: 400 },
      { kind: 'ipp', name: 'right', uri: 'ipp://10.0.0.6/ipp/print', media: 'na_5x7_5x7in', fit: 'fit' },
    ],
    receiptPrinter: { kind: 'escpos-tcp', host: '10.0.0.7' },
  });
  t.is(c.printers![0]!.media, PHOTO_MEDIA);
  t.is(c.printers![0]!.fit, 'fill');
  t.is(c.printers![1]!.fit, 'fit');
  const port = createStationPrinter(c, '/tmp/unused');
  t.true(port instanceof StationPool);
  t.is(port.widthDots, 576);
  await port.close();
});

test('the old single printer key keeps working', async (t) => {
  const c = await load(t, { printer: { kind: 'tcp', host: 'p' } });
  const port = createStationPrinter(c, '/tmp/unused');
  t.true(port instanceof EscPosPrinter);
  t.is(port.kind, 'tcp');
  await port.close();
});

test('bad URI, bad media and duplicate names are errors naming the key', async (t) => {
  const bad = async (printers: unknown[], pattern: RegExp) => {
    const err = await t.throwsAsync(load(t, { printers }), { instanceOf: ConfigError });
    t.regex(err!.message, pattern);
  };
  await bad([{ kind: 'ipp', name: 'a', uri: 'lpd://x/q' }], /printers\.0\.uri|printers\[0\]\.uri.*ipp:\/\//s);
  await bad([{ kind: 'ipp', name: 'a', uri: 'ipp://x/ipp/print', media: 'letter' }], /printers.*media.*PWG/s);
  await bad(
    [
      { kind: 'ipp', name: 'a', uri: 'ipp://x/ipp/print' },
      { kind: 'ipp', name: 'a', uri: 'ipp://y/ipp/print' },
    ],
    /unique/,
  );
});

test.serial(
  'at start: unsupported media is fatal and named, an unreachable printer is reported but not fatal',
  async (t) => {
    if (!ippAvailable()) t.fail('run scripts/ensure-ipp.sh');
    const lab = await new IppLab().start();
    t.teardown(() => lab.close());
    const p = await lab.addPrinter({ name: 'cfg', printSeconds: 1 });
    const base = { kind: 'ipp' as const, fit: 'fill' as const };
    const problems = await checkStation([
      { ...base, name: 'ok', uri: p.uri, media: PHOTO_MEDIA },
      { ...base, name: 'strip', uri: p.uri, media: 'oe_photo-strip_2x6in' },
      { ...base, name: 'gone', uri: 'ipp://127.0.0.1:9/ipp/print', media: PHOTO_MEDIA },
    ]);
    t.deepEqual(
      problems.map((x) => [x.key, x.fatal]),
      [
        ['printers[1].media', true],
        ['printers[2].uri', false],
      ],
    );
    const logged: string[] = [];
    const log = { error: (_: object, m: string) => logged.push(m), warn: (_: object, m: string) => logged.push(m) };
    await t.throwsAsync(
      openStationPrinter(
        { printers: [{ ...base, name: 'strip', uri: p.uri, media: 'oe_photo-strip_2x6in' }] },
        '/tmp/x',
        log,
      ),
      { message: /printers\[0\]\.media: Printer strip does not support oe_photo-strip_2x6in/ },
    );
    const port = await openStationPrinter(
      {
        printers: [
          { ...base, name: 'ok', uri: p.uri, media: PHOTO_MEDIA },
          { ...base, name: 'gone', uri: 'ipp://127.0.0.1:9/ipp/print', media: PHOTO_MEDIA },
        ],
      },
      '/tmp/x',
      log,
    );
    t.true(logged.some((m) => /127\.0\.0\.1:9/.test(m)));
    await port.ready();
    t.is((await port.status()).state, 'ready');
    await port.close();
  },
);

test('the dashboard shows a station report per photo printer and warns before a roll runs out', async (t) => {
  const { printerStatusReportSchema: printerStatusReport } = await import('../shared/protocol/printer-api.ts');
  const { computeAlerts, DEFAULT_ALERT_THRESHOLDS } = await import('../coordinator/services/alerts.ts');
  const { photoPrintersHtml } = await import('../coordinator/web/ops/station-view.ts');
  const printer = {
    name: 'left',
    uri: 'ipp://10.0.0.5/ipp/print',
    model: 'DNP DS620',
    media: PHOTO_MEDIA,
    tray: 'left tray',
    state: 'ready',
    detail: 'Printer left is ready.',
    canPrint: true,
    busy: false,
    printsLeft: 12,
    lowRoll: true,
    printsToday: 388,
    failures: 1,
    secondsPerPrint: 11.6,
    measuredSecondsPerPrint: 11.6,
  };
  const station = {
    printers: [printer],
    counters: { unitsCompleted: 388, failoverMoved: 1, recoveredCompleted: 0 },
    canTakeCodes: true,
  };
  const base = {
    version: '0.1.0',
    uptimeMs: 1,
    events: [],
    bytesFromLan: 0,
    bytesFromCloud: 0,
    bytesToLan: 0,
    lanPeers: 0,
    cloudConnected: true,
    queue: 0,
    printer: { state: 'ready', detail: 'ok' },
    lastError: null,
  };
  t.true(printerStatusReport.safeParse({ ...base, station }).success, 'the coordinator accepts the station report');
  t.true(printerStatusReport.safeParse(base).success, 'and a thermal node without one');
  const markup = String(photoPrintersHtml([printer]));
  t.regex(markup, /12 prints left ⚠ roll low · 388 today · 1 failed · 12 s\/print/);
  const row = {
    id: 'p1',
    name: 'Stand A',
    venueId: 'v',
    venueName: 'V',
    pairedAt: 0,
    revoked: false,
    online: true,
    lastSeenAt: 0,
    reportedAt: 0,
    version: null,
    queue: 0,
    printerState: 'ready',
    printerDetail: '',
    lastError: null,
    bytesFromLan: 0,
    bytesFromCloud: 0,
    throughputBytesPerSec: null,
    lanPeers: 0,
    cloudConnected: true,
    events: [],
    photoPrinters: [printer],
  };
  const alerts = computeAlerts([row], 0, DEFAULT_ALERT_THRESHOLDS);
  t.deepEqual(
    alerts.map((a) => a.kind),
    ['roll_low'],
  );
  t.regex(alerts[0]!.message, /Stand A \/ left: 12 prints left/);
});
