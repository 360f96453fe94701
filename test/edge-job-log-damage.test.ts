import { appendFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import { JobLog } from '../edge-node/jobs/job-log.ts';
import { NodeMetrics } from '../edge-node/status/node-metrics.ts';
import { buildStatusReport } from '../edge-node/status/status-report.ts';
import { asOperator, createHarness, printerCall, seedVenue } from './fixtures/app-harness.ts';
import { tempDir } from './fixtures/feed-fixtures.ts';

/**
 * The exactly-once job log must not lose a step without a word: a damaged line is counted and
 * logged at open, shows in the node's metrics and status report, and raises an alert on the
 * operators' dashboard once the printer reports.
 */
test('a damaged job log line is counted, logged, in the metrics and the status report, and alerts the dashboard', async (t) => {
  const path = join(await tempDir(t, 'vpm-job-log-damage-'), 'jobs.log');
  const claimed = {
    t: 'claimed',
    orderId: 'order-1',
    code: 'ABCD2345',
    token: 'token',
    eventId: 'ev-1',
    units: [{ unit: 0, imageId: 'img-1', copy: 1, printedBefore: false }],
    at: 1,
  };
  await writeFile(path, `${JSON.stringify(claimed)}\n`);
  // Bit rot in the middle of the log (not a torn last line): invalid JSON, and JSON that is no record.
  await appendFile(path, '{"t":"printed","orderId":"order-1","un\u0000it":0,\n');
  await appendFile(path, '{"hello":"world"}\n');
  await appendFile(path, `${JSON.stringify({ t: 'printing', orderId: 'order-1', unit: 0, at: 2 })}\n`);
  // A torn last line from a crash mid-write is expected and not counted.
  await appendFile(path, '{"t":"printed","ord');

  const logged: Array<{ obj: Record<string, unknown>; msg: string }> = [];
  const logger = {
    error: (obj: Record<string, unknown>, msg: string) => logged.push({ obj, msg }),
    warn() {},
    info() {},
    debug() {},
  };
  const log = new JobLog(path, { logger: logger as never });
  await log.ready();
  t.teardown(() => log.close());
  t.is(log.damagedLines, 2);
  t.true(log.get('order-1')?.printing.has(0), 'the good lines around the damage still count');
  t.is(logged.length, 1);
  t.is(logged[0]!.obj.damagedLines, 2);
  t.deepEqual(logged[0]!.obj.lineNumbers, [2, 3]);

  const metrics = new NodeMetrics();
  const report = await buildStatusReport({
    now: 10_000,
    startedAt: 0,
    metrics,
    scans: [],
    mesh: null,
    dht: null,
    queue: 0,
    printer: { state: 'ready', detail: 'Ready.', checkedAt: 0 },
    lastError: null,
    offline: null,
    jobLogDamagedLines: log.damagedLines,
  });
  t.is(report.jobLogDamagedLines, 2);
  t.regex(await metrics.registry.metrics(), /^vpm_edge_job_log_damaged_lines 2$/m);

  const h = await createHarness();
  t.teardown(() => h.close());
  const { printers } = await seedVenue(h, { images: 1, printers: 1 });
  await printerCall(h, printers[0]!, 'put', '/api/printer/status', report).expect(204);
  const snapshot = await h.http.get('/api/ops/snapshot').set(asOperator).expect(200);
  const alerts = snapshot.body.alerts as Array<{ kind: string; printerId: string; message: string }>;
  const alert = alerts.find((a) => a.kind === 'job_log_damaged');
  t.truthy(alert, JSON.stringify(alerts));
  t.is(alert!.printerId, printers[0]!.id);
  t.regex(alert!.message, /2 line\(s\) of its print job log/);
});
