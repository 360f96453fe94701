import { chmod, mkdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import test from 'ava';
import pino from 'pino';
import { Coordinator } from '../coordinator/coordinator.ts';
import { edgeConfigSchema } from '../edge-node/config.ts';
import { EdgeNode } from '../edge-node/edge-node.ts';
import { JobLog } from '../edge-node/jobs/job-log.ts';
import { securePrivateData } from '../shared/fs/private-files.ts';
import { tempDir } from './fixtures/feed-fixtures.ts';
import { pairPrinter, startVenue } from './fixtures/venue-harness.ts';

/** `stat -c %a`. */
async function mode(path: string): Promise<string> {
  return ((await stat(path)).mode & 0o777).toString(8);
}

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      for (const line of String(chunk).split('\n')) if (line.trim()) lines.push(JSON.parse(line));
      cb();
    },
  });
  return { lines, logger: pino({ level: 'warn' }, sink) };
}

test('loose data dirs and files are made private at start, with one warning naming them', async (t) => {
  const dir = join(await tempDir(t, 'vpm-modes-'), 'data');
  await mkdir(dir);
  await chmod(dir, 0o755);
  await writeFile(join(dir, 'secret.json'), '{}', { mode: 0o644 });
  await writeFile(join(dir, 'already.json'), '{}', { mode: 0o600 });
  const { lines, logger } = capture();
  const fixes = await securePrivateData(dir, logger);
  t.deepEqual(
    fixes.map((f) => [f.path, f.from, f.to]),
    [
      [dir, '755', '700'],
      [join(dir, 'secret.json'), '644', '600'],
    ],
  );
  t.is(await mode(dir), '700');
  t.is(await mode(join(dir, 'secret.json')), '600');
  t.is(lines.length, 1);
  t.regex(String(lines[0]!.msg), /readable by other local users/);
  t.deepEqual(await securePrivateData(dir, logger), [], 'nothing left to fix');
  t.is(lines.length, 1);
});

test('a job log is created 0600 (it holds fans’ full redemption tokens)', async (t) => {
  const dir = await tempDir(t, 'vpm-modes-');
  const log = new JobLog(join(dir, 'jobs.log'));
  await log.ready();
  t.teardown(() => log.close());
  t.is(await mode(join(dir, 'jobs.log')), '600');
});

test('coordinator and printer data: dirs 700; SQLite (+wal, shm), secrets, profile.json, jobs.log, identity 600; fixed again after a restart', async (t) => {
  t.timeout(120_000);
  const venue = await startVenue(t, { images: 1 });
  const coordinatorDir = join(venue.dir, 'coordinator');
  t.is(await mode(coordinatorDir), '700');
  for (const file of ['coordinator.sqlite', 'coordinator.sqlite-wal', 'coordinator.sqlite-shm', 'operator-token']) {
    t.is(await mode(join(coordinatorDir, file)), '600', file);
  }

  const dataDir = join(venue.dir, 'edge');
  await pairPrinter(venue.base, venue.operator, venue.venue.id, dataDir, 'Printer M');
  const config = edgeConfigSchema.parse({
    coordinatorUrl: venue.base,
    name: 'Printer M',
    dataDir,
    dhtBootstrap: venue.bootstrap,
    printer: { kind: 'file', dir: join(dataDir, 'prints') },
    statusPort: 0,
    logLevel: 'silent',
  });
  let node = new EdgeNode(config, pino({ level: 'silent' }));
  await node.ready();
  t.is(await mode(dataDir), '700');
  for (const file of ['profile.json', 'jobs.log', 'identity.json']) t.is(await mode(join(dataDir, file)), '600', file);
  await node.close();

  // As an older version (or a careless copy) left them.
  await chmod(dataDir, 0o755);
  await chmod(join(dataDir, 'profile.json'), 0o644);
  await chmod(join(dataDir, 'jobs.log'), 0o644);
  const { lines, logger } = capture();
  node = new EdgeNode(config, logger);
  await node.ready();
  t.teardown(() => node.close());
  t.is(await mode(dataDir), '700');
  t.is(await mode(join(dataDir, 'profile.json')), '600');
  t.is(await mode(join(dataDir, 'jobs.log')), '600');
  const warning = lines.find((l) => /readable by other local users/.test(String(l.msg)));
  t.truthy(warning, 'the fix is logged');

  await venue.coordinator.close();
  await chmod(coordinatorDir, 0o755);
  await chmod(join(coordinatorDir, 'coordinator.sqlite'), 0o644);
  const again = new Coordinator(venue.coordinator.config, pino({ level: 'silent' }));
  t.teardown(() => again.close());
  await again.ready();
  t.is(await mode(coordinatorDir), '700');
  t.is(await mode(join(coordinatorDir, 'coordinator.sqlite')), '600');
});
