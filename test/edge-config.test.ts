import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { loadEdgeConfig } from '../edge-node/config.ts';
import { JobLog } from '../edge-node/jobs/job-log.ts';
import { ConfigError } from '../shared/config/config-error.ts';

test('edge config: file, then environment, then flags; defaults are loopback', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'vpm-edge-config-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'printer.json');
  await writeFile(
    file,
    JSON.stringify({
      coordinatorUrl: 'http://c:1',
      dhtBootstrap: 'c:2',
      name: 'from file',
      printer: { kind: 'tcp', host: 'p' },
    }),
  );
  const c = loadEdgeConfig({ VPM_PRINTER_NAME: 'from env' }, ['--config', file, '--status-port', '9999']);
  t.is(c.name, 'from env');
  t.is(c.statusPort, 9999);
  t.is(c.statusHost, '127.0.0.1');
  t.is(c.dhtHost, '127.0.0.1');
  t.deepEqual(c.dhtBootstrap, [{ host: 'c', port: 2 }]);
  t.deepEqual(c.printer, { kind: 'tcp', host: 'p' });
  t.is(c.backgroundBytesPerSec, Number.POSITIVE_INFINITY);
});

test('edge config: bad values are named; a missing file says so', (t) => {
  const err = t.throws(() => loadEdgeConfig({ VPM_COORDINATOR_URL: 'not a url' }, ['--dht-bootstrap', 'nope']), {
    instanceOf: ConfigError,
  });
  t.regex(err!.message, /coordinatorUrl/);
  t.regex(err!.message, /dhtBootstrap/);
  t.throws(() => loadEdgeConfig({}, ['--config', '/nonexistent/printer.json']), {
    instanceOf: ConfigError,
    message: /Cannot read/,
  });
  t.throws(() => loadEdgeConfig({}, ['--bogus']), { instanceOf: ConfigError, message: /--config/ });
});

test('job log: survives a reopen, drops a torn last line, lists open orders and unconfirmed prints', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'vpm-joblog-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'jobs.log');
  const log = new JobLog(path);
  await log.ready();
  const units = [0, 1, 2].map((unit) => ({ unit, imageId: 'i', copy: unit + 1, printedBefore: false }));
  await log.append({ t: 'claimed', orderId: 'o1', code: 'C', token: 'T', eventId: 'e', units, at: 1 });
  await log.append({ t: 'printing', orderId: 'o1', unit: 0, at: 2 });
  await log.append({ t: 'printed', orderId: 'o1', unit: 0, at: 3 });
  await log.append({ t: 'confirmed', orderId: 'o1', unit: 0, at: 4 });
  await log.append({ t: 'printing', orderId: 'o1', unit: 1, at: 5 });
  await log.append({ t: 'printed', orderId: 'o1', unit: 1, at: 6 });
  await log.append({ t: 'claimed', orderId: 'o2', code: 'D', token: 'U', eventId: 'e', units, at: 7 });
  await log.append({ t: 'closed', orderId: 'o2', outcome: 'done', at: 8 });
  await log.close();
  // A crash in the middle of the next record.
  await writeFile(path, '{"t":"printing","orderId":"o1","un', { flag: 'a' });

  const again = new JobLog(path);
  await again.ready();
  t.teardown(() => again.close());
  t.deepEqual(
    again.open().map((o) => o.orderId),
    ['o1'],
  );
  const o1 = again.get('o1')!;
  t.deepEqual([...o1.printed], [0, 1]);
  t.deepEqual([...o1.confirmed], [0]);
  t.deepEqual(again.unconfirmed(), [{ orderId: 'o1', unit: 1 }]);
  t.is(o1.token, 'T');
  // Appends after the torn line are readable on the next open.
  await again.append({ t: 'confirmed', orderId: 'o1', unit: 1, at: 9 });
  await again.close();
  const third = new JobLog(path);
  await third.ready();
  t.deepEqual(third.unconfirmed(), []);
  await third.close();
});
