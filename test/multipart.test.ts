import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import test, { type ExecutionContext } from 'ava';
import { type MultipartLimits, readMultipartUpload } from '../coordinator/media/multipart.ts';
import { isAppError } from '../shared/errors.ts';

interface Outcome {
  status: number;
  code: string | null;
  /** Bytes the server had pulled off the socket when the reader settled. */
  bytesReadAtSettle: number;
  files?: Array<{ fieldName: string; fileName: string | null; size: number; sha256: string }>;
  fields?: Record<string, string>;
}

interface TestServer {
  url: string;
  /** Resolves with what the reader did for the nth request. */
  outcome(index?: number): Promise<Outcome>;
  /** Resolves when the server-side socket of the nth request is closed; with its total bytes read. */
  socketClosed(index?: number): Promise<number>;
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

async function startServer(
  t: ExecutionContext,
  limits: MultipartLimits,
  opts: { respondDelayMs?: number } = {},
): Promise<TestServer> {
  const outcomes: Array<Promise<Outcome>> = [];
  const closes: Array<Promise<number>> = [];
  const server = http.createServer((req, res) => {
    const socket = req.socket;
    closes.push(new Promise((resolve) => socket.once('close', () => resolve(socket.bytesRead))));
    const outcome = readMultipartUpload(req, limits).then(
      ({ files, fields }): Outcome => ({
        status: 200,
        code: null,
        bytesReadAtSettle: socket.bytesRead,
        files: files.map((f) => ({
          fieldName: f.fieldName,
          fileName: f.fileName,
          size: f.bytes.length,
          sha256: sha256(f.bytes),
        })),
        fields: { ...fields },
      }),
      (err: unknown): Outcome => ({
        status: isAppError(err) ? err.status : 500,
        code: isAppError(err) ? err.code : String(err),
        bytesReadAtSettle: socket.bytesRead,
      }),
    );
    outcomes.push(outcome);
    void outcome.then(async (o) => {
      if (opts.respondDelayMs) await new Promise((r) => setTimeout(r, opts.respondDelayMs));
      if (res.destroyed) return;
      res.writeHead(o.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(o));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const { port } = server.address() as AddressInfo;
  const waitFor = async <T>(list: Array<Promise<T>>, index: number): Promise<T> => {
    for (let i = 0; i < 200 && list[index] === undefined; i++) await new Promise((r) => setTimeout(r, 10));
    const entry = list[index];
    if (entry === undefined) throw new Error(`request ${index} never reached the server`);
    return entry;
  };
  return {
    url: `http://127.0.0.1:${port}/upload`,
    outcome: (index = 0) => waitFor(outcomes, index),
    socketClosed: (index = 0) => waitFor(closes, index),
  };
}

/** Sends a hand-made body; resolves with the response, or with the transport error when the server cut us off. */
function rawRequest(
  url: string,
  headers: Record<string, string>,
  chunks: Iterable<Buffer>,
  opts: { abortAfterChunks?: number; agent?: http.Agent } = {},
): Promise<{ status: number; body: string } | { error: string }> {
  return new Promise((resolve) => {
    const req = http.request(url, { method: 'POST', headers, agent: opts.agent ?? false });
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        body += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', (err) => resolve({ error: err.message }));
    });
    req.on('error', (err) => resolve({ error: err.message }));
    void (async () => {
      let sent = 0;
      for (const chunk of chunks) {
        if (req.destroyed) return;
        if (opts.abortAfterChunks !== undefined && sent === opts.abortAfterChunks) {
          req.destroy();
          resolve({ error: 'aborted by test' });
          return;
        }
        if (!req.write(chunk)) await new Promise((r) => req.once('drain', r));
        sent++;
      }
      req.end();
    })();
  });
}

const BOUNDARY = 'vpm-test-boundary-7d3f';
const multipartHeaders = { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` };

function filePartHead(name: string, fileName: string, contentType = 'image/jpeg'): Buffer {
  return Buffer.from(
    `--${BOUNDARY}\r\ncontent-disposition: form-data; name="${name}"; filename="${fileName}"\r\ncontent-type: ${contentType}\r\n\r\n`,
  );
}

const closing = Buffer.from(`--${BOUNDARY}--\r\n`);

/** A file part whose content is produced in chunks, so large bodies are never held by the test. */
function* streamedFileBody(totalBytes: number, chunkBytes = 64 * 1024): Generator<Buffer> {
  yield filePartHead('image', 'big.jpg');
  const chunk = Buffer.alloc(chunkBytes, 0x61);
  for (let sent = 0; sent < totalBytes; sent += chunkBytes)
    yield chunk.subarray(0, Math.min(chunkBytes, totalBytes - sent));
  yield Buffer.from('\r\n');
  yield closing;
}

test('a normal upload yields the file bytes, its name and the text fields', async (t) => {
  const server = await startServer(t, { maxFileBytes: 1024 * 1024, maxFiles: 1 });
  const image = randomBytes(300 * 1024);
  const form = new FormData();
  form.append('photographer', 'Ana Müller');
  form.append('image', new Blob([new Uint8Array(image)], { type: 'image/jpeg' }), 'IMG_0001 ✓.jpg');

  const res = await fetch(server.url, { method: 'POST', body: form });
  t.is(res.status, 200);
  const outcome = await server.outcome();
  t.deepEqual(outcome.files, [
    { fieldName: 'image', fileName: 'IMG_0001 ✓.jpg', size: image.length, sha256: sha256(image) },
  ]);
  t.deepEqual(outcome.fields, { photographer: 'Ana Müller' });
});

test('several files up to maxFiles are all returned in order', async (t) => {
  const server = await startServer(t, { maxFileBytes: 64 * 1024, maxFiles: 2 });
  const a = randomBytes(1000);
  const b = randomBytes(2000);
  const form = new FormData();
  form.append('image', new Blob([new Uint8Array(a)]), 'a.jpg');
  form.append('image', new Blob([new Uint8Array(b)]), 'b.png');
  t.is((await fetch(server.url, { method: 'POST', body: form })).status, 200);
  const outcome = await server.outcome();
  t.deepEqual(
    outcome.files?.map((f) => [f.fileName, f.sha256]),
    [
      ['a.jpg', sha256(a)],
      ['b.png', sha256(b)],
    ],
  );
});

test('a file of exactly maxFileBytes is accepted, one byte more is not', async (t) => {
  const server = await startServer(t, { maxFileBytes: 100_000, maxFiles: 1 });
  t.like(await rawRequest(server.url, multipartHeaders, streamedFileBody(100_000, 10_000)), { status: 200 });
  t.is((await server.outcome(0)).files?.[0]?.size, 100_000);
  t.like(await rawRequest(server.url, multipartHeaders, streamedFileBody(100_001, 10_000)), { status: 413 });
  t.is((await server.outcome(1)).code, 'upload_too_large');
});

test('an oversized file is rejected with 413 as soon as it crosses the limit, and the client gets the answer', async (t) => {
  const maxFileBytes = 256 * 1024;
  const server = await startServer(t, { maxFileBytes, maxFiles: 1 });
  const bodyBytes = 6 * 1024 * 1024;
  const res = await rawRequest(server.url, multipartHeaders, streamedFileBody(bodyBytes));

  const outcome = await server.outcome();
  t.is(outcome.status, 413);
  t.is(outcome.code, 'upload_too_large');
  t.true(
    outcome.bytesReadAtSettle < maxFileBytes + 512 * 1024,
    `gave up after ${outcome.bytesReadAtSettle} bytes of a ${bodyBytes}-byte body`,
  );
  t.like(res, { status: 413 });
});

test('a client that keeps sending far past the limit is cut off instead of being read to the end', async (t) => {
  // Node stops reading a request body once the response is out, so the reader's own cut-off only
  // shows while the caller is still busy producing its error response.
  const server = await startServer(t, { maxFileBytes: 64 * 1024, maxFiles: 1 }, { respondDelayMs: 3000 });
  const agent = new http.Agent({ keepAlive: true });
  t.teardown(() => agent.destroy());
  const bodyBytes = 64 * 1024 * 1024;
  const sending = rawRequest(server.url, multipartHeaders, streamedFileBody(bodyBytes), { agent });
  t.is((await server.outcome()).code, 'upload_too_large');
  const totalRead = await server.socketClosed();
  t.true(totalRead < 24 * 1024 * 1024, `server read ${totalRead} bytes of ${bodyBytes}`);
  t.true('error' in (await sending), 'the connection was cut before any response');
});

test('a body that is not multipart/form-data is rejected with not_multipart', async (t) => {
  const server = await startServer(t, { maxFileBytes: 1024, maxFiles: 1 });
  const json = await fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"image":"..."}',
  });
  t.is(json.status, 400);
  t.is((await server.outcome(0)).code, 'not_multipart');

  const none = await rawRequest(server.url, {}, [Buffer.from('raw bytes')]);
  t.like(none, { status: 400 });
  t.is((await server.outcome(1)).code, 'not_multipart');

  const urlencoded = await fetch(server.url, { method: 'POST', body: new URLSearchParams({ a: 'b' }) });
  t.is(urlencoded.status, 400);
  t.is((await server.outcome(2)).code, 'not_multipart');
});

test('an upload without a file part is rejected with no_file', async (t) => {
  const server = await startServer(t, { maxFileBytes: 1024, maxFiles: 1 });
  const form = new FormData();
  form.append('photographer', 'Ana');
  t.is((await fetch(server.url, { method: 'POST', body: form })).status, 400);
  t.is((await server.outcome(0)).code, 'no_file');

  // What a browser sends for a file input left empty.
  const emptyInput = [filePartHead('image', '', 'application/octet-stream'), Buffer.from('\r\n'), closing];
  t.like(await rawRequest(server.url, multipartHeaders, emptyInput), { status: 400 });
  t.is((await server.outcome(1)).code, 'no_file');
});

test('more files than maxFiles is rejected with too_many_files', async (t) => {
  const server = await startServer(t, { maxFileBytes: 1024, maxFiles: 1 });
  const form = new FormData();
  form.append('image', new Blob([new Uint8Array(10)]), 'a.jpg');
  form.append('image', new Blob([new Uint8Array(10)]), 'b.jpg');
  t.is((await fetch(server.url, { method: 'POST', body: form })).status, 400);
  t.is((await server.outcome()).code, 'too_many_files');
});

test('a text field over maxFieldBytes is rejected with field_too_large; one at the limit is kept', async (t) => {
  const server = await startServer(t, { maxFileBytes: 1024, maxFiles: 1, maxFieldBytes: 16 });
  const send = (note: string) => {
    const form = new FormData();
    form.append('note', note);
    form.append('image', new Blob([new Uint8Array(10)]), 'a.jpg');
    return fetch(server.url, { method: 'POST', body: form });
  };
  t.is((await send('x'.repeat(16))).status, 200);
  t.deepEqual((await server.outcome(0)).fields, { note: 'x'.repeat(16) });
  t.is((await send('x'.repeat(17))).status, 413);
  t.is((await server.outcome(1)).code, 'field_too_large');
});

test('malformed bodies are rejected with malformed_multipart, never left hanging', async (t) => {
  const server = await startServer(t, { maxFileBytes: 1024, maxFiles: 1 });
  const cases: Array<[string, Record<string, string>, Buffer[]]> = [
    ['missing closing boundary', multipartHeaders, [filePartHead('image', 'a.jpg'), Buffer.from('abc')]],
    ['no boundary parameter', { 'content-type': 'multipart/form-data' }, [Buffer.from('whatever')]],
    ['garbage instead of parts', multipartHeaders, [Buffer.from('this is not multipart at all\r\n')]],
    [
      'part without headers separator',
      multipartHeaders,
      [Buffer.from(`--${BOUNDARY}\r\ncontent-disposition: form-data; name="a"`), closing],
    ],
  ];
  for (const [index, [name, headers, body]] of cases.entries()) {
    const res = await rawRequest(server.url, headers, body);
    t.like(res, { status: 400 }, name);
    t.is((await server.outcome(index)).code, 'malformed_multipart', name);
  }
});

test('a client that disconnects mid-upload settles the reader instead of leaving it pending', async (t) => {
  const server = await startServer(t, { maxFileBytes: 10 * 1024 * 1024, maxFiles: 1 });
  await rawRequest(server.url, multipartHeaders, streamedFileBody(4 * 1024 * 1024), { abortAfterChunks: 5 });
  const outcome = await server.outcome();
  t.is(outcome.code, 'upload_aborted');
});
