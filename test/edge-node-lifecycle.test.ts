import { createServer } from 'node:net';
import test, { type ExecutionContext } from 'ava';
import pino from 'pino';
import { edgeConfigSchema } from '../edge-node/config.ts';
import { EdgeNode } from '../edge-node/edge-node.ts';
import { isAppError } from '../shared/errors.ts';
import { tempDir } from './fixtures/feed-fixtures.ts';

/** A loopback port nothing listens on (it was free a moment ago). */
async function deadPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((r) => probe.close(() => r()));
  return port;
}

/**
 * A printer that was never paired and cannot reach the coordinator waits in ready(); close() must
 * stop that wait (not wait for it), close what was opened, and make ready() reject with a code.
 */
for (const moment of ['as soon as it has its identity', 'once it waits to retry the coordinator'] as const) {
  test(`edge node: close() while ready() waits for the coordinator ends both promptly (${moment})`, async (t) => {
    await closeWhileStarting(t, moment);
  });
}

async function closeWhileStarting(
  t: ExecutionContext,
  moment: 'as soon as it has its identity' | 'once it waits to retry the coordinator',
): Promise<void> {
  const dataDir = await tempDir(t, 'vpm-edge-lifecycle-');
  const config = edgeConfigSchema.parse({
    coordinatorUrl: `http://127.0.0.1:${await deadPort()}`,
    dataDir,
    dhtBootstrap: [{ host: '127.0.0.1', port: await deadPort() }],
    statusPort: 0,
    printer: { kind: 'file', dir: `${dataDir}/prints` },
  });
  const messages: string[] = [];
  const logger = pino({ level: 'warn' }, { write: (line: string) => void messages.push(JSON.parse(line).msg) });
  const node = new EdgeNode(config, logger);
  const ready = node.ready();
  ready.catch(() => {});
  // The node got as far as its identity (it is waiting for its profile now).
  for (let i = 0; i < 400 && !node.publicKeyHex; i++) await new Promise((r) => setTimeout(r, 5));
  t.truthy(node.publicKeyHex);
  if (moment === 'once it waits to retry the coordinator') {
    for (let i = 0; i < 400 && !messages.includes('coordinator unreachable; retrying'); i++) {
      await new Promise((r) => setTimeout(r, 5));
    }
    t.true(messages.includes('coordinator unreachable; retrying'), messages.join(' | '));
  }
  const started = Date.now();
  await node.close();
  t.true(Date.now() - started < 2_000, `close() took ${Date.now() - started} ms`);
  const err = await t.throwsAsync(ready);
  t.true(isAppError(err) || (err as { code?: string }).code === 'coordinator_unreachable', String(err));
  t.true(node.closed);
  t.is(node.localUrl, '', 'no local API was left listening');
}
