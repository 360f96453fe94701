import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import test, { type ExecutionContext } from 'ava';
import { CoordinatorClient } from '../edge-node/coordinator-client.ts';
import { isUplinkFailure } from '../shared/policy/offline-claim-rule.ts';
import { systemClock } from '../shared/ports/clock.ts';
import { newPrinterKeys } from './fixtures/app-harness.ts';

async function coordinatorAnswering(
  t: ExecutionContext,
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<CoordinatorClient> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  t.teardown(
    () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  );
  return clientFor(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
}

function clientFor(baseUrl: string): CoordinatorClient {
  return new CoordinatorClient({ baseUrl, keyPair: newPrinterKeys().keyPair, clock: systemClock });
}

test('coordinator client: an answer that does not match the printer API is a coded error naming the field', async (t) => {
  const client = await coordinatorAnswering(t, (_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ printer: { id: 'p', venueId: 'v', name: 'P' }, venue: { id: 'v', name: 'V' } }));
  });
  const err = await t.throwsAsync(client.me());
  t.is((err as { code?: string }).code, 'coordinator_answer_invalid');
  t.regex(err!.message, /venue\.topic/);
  t.true(((err as { details?: { fields?: string[] } }).details?.fields ?? []).includes('venue.topic'));
  t.false(isUplinkFailure(err as { code?: string; status?: number }), 'the coordinator answered: not the offline path');
});

test('coordinator client: a body that breaks off has its own code and does not start the offline path', async (t) => {
  const client = await coordinatorAnswering(t, (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
    res.write('{"printer":');
    // The answer is cut after its head: the body read fails, not the request.
    setImmediate(() => res.socket?.destroy());
  });
  const err = await t.throwsAsync(client.me());
  t.is((err as { code?: string }).code, 'coordinator_answer_unreadable');
  t.false(isUplinkFailure(err as { code?: string; status?: number }));
});

test('coordinator client: no connection is coordinator_unreachable (the offline path starts)', async (t) => {
  // A port that was just free: nothing listens there.
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((r) => probe.close(() => r()));
  const err = await t.throwsAsync(clientFor(`http://127.0.0.1:${port}`).me());
  t.is((err as { code?: string }).code, 'coordinator_unreachable');
  t.true(isUplinkFailure(err as { code?: string; status?: number }));
});

test('coordinator client: a refusal keeps the coordinator’s code and status', async (t) => {
  const client = await coordinatorAnswering(t, (_req, res) => {
    res.writeHead(403, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { code: 'printer_not_paired', message: 'Not paired.' } }));
  });
  const err = await t.throwsAsync(client.me());
  t.is((err as { code?: string }).code, 'printer_not_paired');
  t.is((err as { status?: number }).status, 403);
});
