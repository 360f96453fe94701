import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { createApp } from '../coordinator/app.ts';
import { hashBearerToken } from '../coordinator/http/auth.ts';
import {
  MAX_UPLOADS_IN_FLIGHT,
  MAX_UPLOADS_IN_FLIGHT_PER_CREDENTIAL,
  UPLOAD_RETRY_AFTER_SECONDS,
} from '../coordinator/http/upload-limiter.ts';
import { createHarness, type Harness, seedEvent } from './fixtures/app-harness.ts';

const BOUNDARY = 'vpm-upload-boundary';
const MiB = 1024 * 1024;

/** The app on a loopback port with uploads spooled to a temp dir. */
async function uploadServer(t: ExecutionContext, h: Harness) {
  const spool = await mkdtemp(join(tmpdir(), 'vpm-spool-'));
  t.teardown(() => rm(spool, { recursive: true, force: true }));
  const app = createApp({ ...h.deps, settings: { ...h.deps.settings, uploadSpoolDir: spool } });
  const server: Server = createServer(app.callback());
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', () => res()));
  t.teardown(() => {
    server.closeAllConnections();
    return new Promise<void>((res) => server.close(() => res()));
  });
  return { port: (server.address() as AddressInfo).port, spool };
}

async function photographers(h: Harness, n: number): Promise<string[]> {
  const tokens: string[] = [];
  for (let i = 0; i < n; i++) {
    const token = `upload-photographer-${i}-0123456789abcdef`;
    await h.store.insertCredential({
      tokenHash: hashBearerToken(token),
      role: 'photographer',
      name: `P${i}`,
      createdAt: h.clock.now(),
      revokedAt: null,
    });
    tokens.push(token);
  }
  return tokens;
}

interface Upload {
  /** Sends `mib` more MiB of the file (one reused chunk: the client holds no copy of the file). */
  send(mib: number): Promise<void>;
  finish(): void;
  response: Promise<{ status: number; headers: Record<string, unknown>; body: string }>;
}

/** A multipart upload streamed by hand, so a test controls how long it stays in flight. */
function startUpload(port: number, eventId: string, token: string): Upload {
  const chunk = Buffer.alloc(MiB, 0x5a);
  const req = httpRequest({
    host: '127.0.0.1',
    port,
    method: 'POST',
    path: `/api/events/${eventId}/images`,
    headers: { authorization: `Bearer ${token}`, 'content-type': `multipart/form-data; boundary=${BOUNDARY}` },
  });
  const response = new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve) => {
    req.on('response', (res) => {
      let body = '';
      res.on('data', (d: Buffer) => {
        body += d.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    // A refused upload may be cut off while it is still sending: it still got its answer first.
    req.on('error', () => {});
  });
  req.write(
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="big.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`,
  );
  // A JPEG start: accepted as a JPEG by its magic bytes, refused by the decoder (damaged) at its turn.
  req.write(Buffer.from([0xff, 0xd8, 0xff, 0xe0]));
  return {
    async send(mib) {
      for (let i = 0; i < mib; i++) {
        if (!req.write(chunk)) await new Promise((r) => req.once('drain', r));
      }
    },
    finish() {
      req.end(`\r\n--${BOUNDARY}--\r\n`);
    },
    response,
  };
}

test('uploads in flight are capped per credential and overall: 429 with Retry-After, before the body is read', async (t) => {
  const h = await createHarness();
  t.teardown(() => h.close());
  const { event } = await seedEvent(h);
  const { port } = await uploadServer(t, h);
  const tokens = await photographers(h, MAX_UPLOADS_IN_FLIGHT + 1);

  const mine: Upload[] = [];
  for (let i = 0; i < MAX_UPLOADS_IN_FLIGHT_PER_CREDENTIAL; i++) {
    const u = startUpload(port, event.id, tokens[0]!);
    await u.send(1);
    mine.push(u);
  }
  const refused = startUpload(port, event.id, tokens[0]!);
  const answer = await refused.response;
  t.is(answer.status, 429);
  t.is(JSON.parse(answer.body).error.code, 'too_many_uploads');
  t.is(answer.headers['retry-after'], String(UPLOAD_RETRY_AFTER_SECONDS));

  // Other photographers still get in, up to the process-wide cap.
  const others: Upload[] = [];
  for (let i = 1; i <= MAX_UPLOADS_IN_FLIGHT - MAX_UPLOADS_IN_FLIGHT_PER_CREDENTIAL; i++) {
    const u = startUpload(port, event.id, tokens[i]!);
    await u.send(1);
    others.push(u);
  }
  const full = await startUpload(port, event.id, tokens[MAX_UPLOADS_IN_FLIGHT]!).response;
  t.is(full.status, 429);
  t.is(JSON.parse(full.body).details?.scope ?? JSON.parse(full.body).error.details.scope, 'server');

  for (const u of [...mine, ...others]) u.finish();
  for (const u of [...mine, ...others]) t.is((await u.response).status, 422, 'admitted: read, then refused as damaged');
  // Slots are released: the first photographer may upload again.
  const again = startUpload(port, event.id, tokens[0]!);
  again.finish();
  t.is((await again.response).status, 422);
});

test('concurrent large uploads wait on disk, not in memory: RSS grows by less than the files in flight', async (t) => {
  t.timeout(120_000);
  const h = await createHarness();
  t.teardown(() => h.close());
  const { event } = await seedEvent(h);
  const { port, spool } = await uploadServer(t, h);
  const tokens = await photographers(h, MAX_UPLOADS_IN_FLIGHT);
  const FILE_MIB = 30;
  const held = MAX_UPLOADS_IN_FLIGHT * FILE_MIB * MiB;

  const before = process.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 10);
  t.teardown(() => clearInterval(sampler));

  const uploads = tokens.map((token) => startUpload(port, event.id, token));
  // All of them fully sent before the first is processed: every file waits at once.
  await Promise.all(uploads.map((u) => u.send(FILE_MIB)));
  for (const u of uploads) u.finish();
  const answers = await Promise.all(uploads.map((u) => u.response));
  clearInterval(sampler);
  t.deepEqual(
    answers.map((a) => a.status),
    uploads.map(() => 422),
  );
  const growth = peak - before;
  t.log(
    `${uploads.length} uploads of ${FILE_MIB} MiB: RSS ${Math.round(before / MiB)} → peak ${Math.round(peak / MiB)} MiB (+${Math.round(growth / MiB)} MiB; the files total ${Math.round(held / MiB)} MiB)`,
  );
  // Measured here: +117 MiB spooled, +376 MiB when held in memory (the code before the cap and spool).
  // About two files' worth: the one being decoded and the last one, not yet collected.
  t.true(growth < held, `RSS grew by ${Math.round(growth / MiB)} MiB`);
  t.deepEqual(await readdir(spool), [], 'spooled files are removed');
});
