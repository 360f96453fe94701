import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import sharp from 'sharp';
import {
  type HotFile,
  type HotFolderOptions,
  HotFolderUploader,
  httpUploader,
  isCandidateFileName,
  isUploadRejected,
  type UploadOutcome,
  uploadRejected,
} from '../coordinator/cli/watch.ts';
import { parseWatchConfig } from '../coordinator/cli/watch-main.ts';
import { readMultipartUpload } from '../coordinator/media/multipart.ts';
import { ConfigError } from '../shared/config/config-error.ts';
import { type AppError, isAppError } from '../shared/errors.ts';

const STABLE_MS = 150;
const POLL_MS = 30;

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** A real, distinct JPEG per seed. */
async function jpeg(seed: number, width = 160, height = 120): Promise<Buffer> {
  const pixels = Buffer.alloc(width * height * 3);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < pixels.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    pixels[i] = x & 0xff;
  }
  return sharp(pixels, { raw: { width, height, channels: 3 } })
    .jpeg()
    .toBuffer();
}

async function png(seed: number): Promise<Buffer> {
  return sharp(await jpeg(seed))
    .png()
    .toBuffer();
}

async function tempDir(t: ExecutionContext): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'vpm-watch-'));
  t.teardown(() => fs.rm(dir, { recursive: true, force: true }));
  return dir;
}

type Behaviour = UploadOutcome | Error;

/** Records every call; answers from `script` in order, then `fallback`. */
function fakeUpload(script: Behaviour[] = [], fallback: Behaviour = 'uploaded') {
  const calls: Array<HotFile & { at: number }> = [];
  const control = { script: [...script], fallback };
  const upload = async (file: HotFile): Promise<UploadOutcome> => {
    calls.push({ ...file, bytes: Buffer.from(file.bytes), at: Date.now() });
    await sleep(5);
    const next = control.script.length > 0 ? control.script.shift()! : control.fallback;
    if (next instanceof Error) throw next;
    return next;
  };
  return { calls, upload, control };
}

interface Setup {
  folder: string;
  journalPath: string;
}

async function setup(t: ExecutionContext): Promise<Setup> {
  const root = await tempDir(t);
  const folder = path.join(root, 'hot');
  await fs.mkdir(folder);
  return { folder, journalPath: path.join(root, 'state', 'journal.jsonl') };
}

async function startUploader(
  t: ExecutionContext,
  where: Setup,
  upload: HotFolderOptions['upload'],
  extra: Partial<HotFolderOptions> = {},
): Promise<HotFolderUploader> {
  const uploader = new HotFolderUploader({
    folder: where.folder,
    journalPath: where.journalPath,
    upload,
    stableMs: STABLE_MS,
    pollMs: POLL_MS,
    retryBaseMs: 20,
    ...extra,
  });
  t.teardown(() => uploader.close());
  await uploader.ready();
  return uploader;
}

async function readJournal(journalPath: string): Promise<Array<Record<string, unknown>>> {
  const text = await fs.readFile(journalPath, 'utf8');
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

async function writeWithMtime(file: string, bytes: Buffer, secondsAgo: number): Promise<void> {
  await fs.writeFile(file, bytes);
  const when = new Date(Date.now() - secondsAgo * 1000);
  await fs.utimes(file, when, when);
}

test('candidate names: JPEG/PNG in any case; never dotfiles, temp or partial files', (t) => {
  for (const name of ['a.jpg', 'B.JPG', 'c.jpeg', 'D.JPEG', 'e.png', 'F.PnG', 'IMG 0001 (1).jpg']) {
    t.true(isCandidateFileName(name), name);
  }
  for (const name of [
    '.a.jpg',
    '._IMG_0001.jpg',
    '~a.jpg',
    'a.jpg.tmp',
    'a.tmp',
    'a.jpg.partial',
    'a.jpg.part',
    'a.jpg.crdownload',
    'a.txt',
    'a.CR2',
    'a.heic',
    'a.gif',
    'jpg',
  ]) {
    t.false(isCandidateFileName(name), name);
  }
});

test('existing files are uploaded once each, oldest first; other files are ignored', async (t) => {
  const where = await setup(t);
  const images = { 'b.JPG': await jpeg(1), 'a.jpeg': await jpeg(2), 'c.png': await png(3) };
  await writeWithMtime(path.join(where.folder, 'b.JPG'), images['b.JPG'], 10);
  await writeWithMtime(path.join(where.folder, 'a.jpeg'), images['a.jpeg'], 30);
  await writeWithMtime(path.join(where.folder, 'c.png'), images['c.png'], 20);
  for (const ignored of ['notes.txt', '.hidden.jpg', 'x.jpg.tmp', '~lock.jpg', 'raw.CR2']) {
    await fs.writeFile(path.join(where.folder, ignored), await jpeg(99));
  }
  await fs.mkdir(path.join(where.folder, 'sub.jpg'));

  const fake = fakeUpload();
  const uploader = await startUploader(t, where, fake.upload);
  await uploader.idle();

  t.deepEqual(
    fake.calls.map((c) => c.fileName),
    ['a.jpeg', 'c.png', 'b.JPG'],
  );
  for (const call of fake.calls) {
    const expected = images[call.fileName as keyof typeof images];
    t.true(call.bytes.equals(expected), call.fileName);
    t.is(call.sha256, sha256(expected));
    t.is(call.path, path.join(where.folder, call.fileName));
  }
  await sleep(STABLE_MS * 3);
  await uploader.idle();
  t.is(fake.calls.length, 3, 'nothing is uploaded a second time');
  t.like(uploader.stats, { uploaded: 3, duplicates: 0, failed: 0 });

  const journal = await readJournal(where.journalPath);
  t.deepEqual(journal.map((r) => r.sha256).sort(), Object.values(images).map(sha256).sort());
});

test('a file written slowly in chunks is uploaded once, complete, only after it stopped changing', async (t) => {
  const where = await setup(t);
  const fake = fakeUpload();
  const uploader = await startUploader(t, where, fake.upload);
  const bytes = await jpeg(7, 400, 300);
  const file = path.join(where.folder, 'slow.jpg');

  const handle = await fs.open(file, 'w');
  const chunks = 10;
  const chunkBytes = Math.ceil(bytes.length / chunks);
  const started = Date.now();
  for (let i = 0; i < chunks; i++) {
    await handle.write(bytes.subarray(i * chunkBytes, (i + 1) * chunkBytes));
    await handle.sync();
    await sleep(STABLE_MS / 3);
    // After the last chunk the file is complete, and uploading it is allowed.
    if (i < chunks - 1) t.is(fake.calls.length, 0, `nothing uploaded while writing (chunk ${i})`);
  }
  await handle.close();
  t.true(Date.now() - started > STABLE_MS, 'the write took longer than the stability window');

  await uploader.idle();
  t.is(fake.calls.length, 1);
  t.true(fake.calls[0]!.bytes.equals(bytes), 'the upload has the full bytes');
});

/** Filesystem timestamps come from the kernel's coarse clock (one scheduler tick, ≤ 10 ms). */
const FILE_CLOCK_TICK_MS = 10;

test('a complete file is only uploaded after it stayed unchanged for stableMs', async (t) => {
  const where = await setup(t);
  const fake = fakeUpload();
  const uploader = await startUploader(t, where, fake.upload, { stableMs: 400 });
  const file = path.join(where.folder, 'quick.jpg');
  await fs.writeFile(file, await jpeg(1));
  const firstWrite = Date.now();
  await sleep(200);
  const bytes = await jpeg(2);
  // Taken before the write: the file's mtime (what the watcher measures from) lies after it, but a
  // timestamp taken once the write returned can lie after the mtime too.
  const lastWrite = Date.now();
  await fs.writeFile(file, bytes); // rewritten within the window: the clock starts over
  await uploader.idle();
  t.is(fake.calls.length, 1);
  t.true(fake.calls[0]!.bytes.equals(bytes));
  // The kernel stamps mtimes from a coarse clock that may trail Date.now() by a tick.
  const since = fake.calls[0]!.at - lastWrite + FILE_CLOCK_TICK_MS;
  t.true(since >= 400, `uploaded ${fake.calls[0]!.at - lastWrite} ms after the last write began`);
  t.true(fake.calls[0]!.at - firstWrite >= 600);
});

test('a writer that stalls longer than the stability window mid-file does not get a half file uploaded', async (t) => {
  const where = await setup(t);
  const fake = fakeUpload();
  const uploader = await startUploader(t, where, fake.upload);
  const bytes = await jpeg(8, 400, 300);
  const file = path.join(where.folder, 'stalled.jpg');

  const handle = await fs.open(file, 'w');
  await handle.write(bytes.subarray(0, bytes.length / 2));
  await handle.sync();
  await sleep(STABLE_MS * 4);
  t.is(fake.calls.length, 0, 'a JPEG without its end marker is not sent after one quiet period');
  await handle.write(bytes.subarray(bytes.length / 2));
  await handle.close();

  await uploader.idle();
  t.is(fake.calls.length, 1);
  t.true(fake.calls[0]!.bytes.equals(bytes));
});

test('a restart with the same journal uploads nothing again, even for a renamed copy', async (t) => {
  const where = await setup(t);
  await fs.writeFile(path.join(where.folder, 'a.jpg'), await jpeg(1));
  await fs.writeFile(path.join(where.folder, 'b.png'), await png(2));

  const first = fakeUpload();
  const uploader1 = await startUploader(t, where, first.upload);
  await uploader1.idle();
  t.is(first.calls.length, 2);
  await uploader1.close();

  // Same files, plus a renamed copy and a renamed original made while the uploader was down.
  await fs.copyFile(path.join(where.folder, 'a.jpg'), path.join(where.folder, 'copy of a.jpg'));
  await fs.rename(path.join(where.folder, 'b.png'), path.join(where.folder, 'B renamed.png'));

  const second = fakeUpload();
  const uploader2 = await startUploader(t, where, second.upload);
  await uploader2.idle();
  await sleep(STABLE_MS * 2);
  await uploader2.idle();
  t.is(second.calls.length, 0);
  t.like(uploader2.stats, { uploaded: 0, skipped: 3 });
});

test('a renamed copy made while running is recognised by content and not uploaded', async (t) => {
  const where = await setup(t);
  await fs.writeFile(path.join(where.folder, 'a.jpg'), await jpeg(1));
  const fake = fakeUpload();
  const uploader = await startUploader(t, where, fake.upload);
  await uploader.idle();
  t.is(fake.calls.length, 1);

  await fs.copyFile(path.join(where.folder, 'a.jpg'), path.join(where.folder, 'a-copy.JPG'));
  await fs.writeFile(path.join(where.folder, 'new.jpg'), await jpeg(2));
  await uploader.idle();
  t.deepEqual(
    fake.calls.map((c) => c.fileName),
    ['a.jpg', 'new.jpg'],
  );
  t.like(uploader.stats, { uploaded: 2, skipped: 1 });
});

test('a file replaced with new content is uploaded again (it is a new image)', async (t) => {
  const where = await setup(t);
  const file = path.join(where.folder, 'edit.jpg');
  await fs.writeFile(file, await jpeg(1));
  const fake = fakeUpload();
  const uploader = await startUploader(t, where, fake.upload);
  await uploader.idle();

  const edited = await jpeg(2, 200, 150);
  await fs.writeFile(file, edited);
  await uploader.idle();
  t.is(fake.calls.length, 2);
  t.true(fake.calls[1]!.bytes.equals(edited));
});

test('a duplicate answer counts as done and is journaled', async (t) => {
  const where = await setup(t);
  const bytes = await jpeg(1);
  await fs.writeFile(path.join(where.folder, 'a.jpg'), bytes);
  const fake = fakeUpload(['duplicate']);
  const uploader = await startUploader(t, where, fake.upload);
  await uploader.idle();
  t.is(fake.calls.length, 1);
  t.like(uploader.stats, { uploaded: 0, duplicates: 1, failed: 0 });
  await uploader.close();

  t.like((await readJournal(where.journalPath))[0], { sha256: sha256(bytes), name: 'a.jpg', outcome: 'duplicate' });
  const again = fakeUpload();
  const restarted = await startUploader(t, where, again.upload);
  await restarted.idle();
  t.is(again.calls.length, 0);
});

test('a transient failure is retried until the upload succeeds', async (t) => {
  const where = await setup(t);
  const bytes = await jpeg(1);
  await fs.writeFile(path.join(where.folder, 'a.jpg'), bytes);
  const fake = fakeUpload([new Error('ECONNRESET'), new Error('503')]);
  const uploader = await startUploader(t, where, fake.upload);
  await uploader.idle();
  t.is(fake.calls.length, 3);
  t.true(fake.calls.every((c) => c.bytes.equals(bytes)));
  t.like(uploader.stats, { uploaded: 1, failed: 0 });
  t.is((await readJournal(where.journalPath)).length, 1);
});

test('after bounded attempts a file is reported failed, later files proceed, and a later rescan retries it', async (t) => {
  const where = await setup(t);
  await writeWithMtime(path.join(where.folder, 'first.jpg'), await jpeg(1), 20);
  await writeWithMtime(path.join(where.folder, 'second.jpg'), await jpeg(2), 10);
  const fake = fakeUpload([new Error('down'), new Error('down'), new Error('down')]);
  const uploader = await startUploader(t, where, fake.upload, { maxAttempts: 3 });
  await waitFor(() => fake.calls.length >= 4, 'three attempts and the next file');
  t.deepEqual(
    fake.calls.slice(0, 4).map((c) => c.fileName),
    ['first.jpg', 'first.jpg', 'first.jpg', 'second.jpg'],
  );
  t.is(uploader.stats.failed, 1);

  await waitFor(() => uploader.stats.uploaded === 2, 'the failed file to be retried by a rescan');
  await uploader.idle();
  t.is(fake.calls.length, 5);
  t.is(fake.calls[4]!.fileName, 'first.jpg');
});

test('a permanent refusal is recorded as failed and not retried', async (t) => {
  const where = await setup(t);
  await fs.writeFile(path.join(where.folder, 'a.jpg'), await jpeg(1));
  const fake = fakeUpload([uploadRejected('422 image_corrupt', { status: 422 })]);
  const uploader = await startUploader(t, where, fake.upload);
  await uploader.idle();
  await sleep(STABLE_MS * 3);
  await uploader.idle();
  t.is(fake.calls.length, 1);
  t.like(uploader.stats, { uploaded: 0, failed: 1 });
  await uploader.close();
  // Not journaled: a restart (e.g. after fixing a token) tries it again.
  t.is(await fs.readFile(where.journalPath, 'utf8'), '');
});

test('a stable JPEG with bytes after its end marker is uploaded after the extra patience', async (t) => {
  const where = await setup(t);
  const bytes = Buffer.concat([await jpeg(3), Buffer.from('MAKER-TRAILER')]);
  await fs.writeFile(path.join(where.folder, 'trailer.jpg'), bytes);
  const fake = fakeUpload();
  const uploader = await startUploader(t, where, fake.upload);
  const started = Date.now();
  await uploader.idle();
  t.is(fake.calls.length, 1);
  t.true(fake.calls[0]!.bytes.equals(bytes));
  t.true(Date.now() - started >= STABLE_MS * 5, 'it waited longer than for a file that looks complete');
});

test('a file named .jpg that is not an image is never uploaded', async (t) => {
  const where = await setup(t);
  await fs.writeFile(path.join(where.folder, 'fake.jpg'), 'definitely not a jpeg\n');
  await fs.writeFile(path.join(where.folder, 'notes.txt'), 'hello');
  const fake = fakeUpload();
  const uploader = await startUploader(t, where, fake.upload);
  await uploader.idle();
  t.is(fake.calls.length, 0);
  t.like(uploader.stats, { failed: 1 });
});

test('a torn last journal line and garbage lines are tolerated, and later records stay readable', async (t) => {
  const where = await setup(t);
  const a = await jpeg(1);
  const b = await jpeg(2);
  await fs.writeFile(path.join(where.folder, 'a.jpg'), a);
  await fs.writeFile(path.join(where.folder, 'b.jpg'), b);
  await fs.mkdir(path.dirname(where.journalPath), { recursive: true });
  const known = JSON.stringify({
    sha256: sha256(a),
    name: 'old-name.jpg',
    size: a.length,
    mtimeMs: 1,
    outcome: 'uploaded',
    at: 1,
  });
  await fs.writeFile(where.journalPath, `not json at all\n${known}\n{"sha256":"${sha256(b).slice(0, 20)}`);

  const fake = fakeUpload();
  const uploader = await startUploader(t, where, fake.upload);
  await uploader.idle();
  t.deepEqual(
    fake.calls.map((c) => c.fileName),
    ['b.jpg'],
  );
  await uploader.close();

  const lines = (await fs.readFile(where.journalPath, 'utf8')).split('\n');
  t.is(lines.at(-1), '', 'ends with a newline');
  t.is(lines[0], 'not json at all');
  t.deepEqual(
    lines.slice(1, -1).map((l) => (JSON.parse(l) as { sha256: string }).sha256),
    [sha256(a), sha256(b)],
  );
});

test('close() during retry backoff returns promptly and stops uploading', async (t) => {
  const where = await setup(t);
  await fs.writeFile(path.join(where.folder, 'a.jpg'), await jpeg(1));
  const fake = fakeUpload([], new Error('down'));
  const uploader = await startUploader(t, where, fake.upload, { retryBaseMs: 10_000 });
  await waitFor(() => fake.calls.length === 1, 'the first attempt');
  const started = Date.now();
  await uploader.close();
  t.true(Date.now() - started < 1000);
  await sleep(100);
  t.is(fake.calls.length, 1);
});

/* ---------------------------------------------------------------- httpUploader */

interface SeenRequest {
  url: string;
  authorization: string | undefined;
  fieldName: string;
  fileName: string | null;
  bytes: Buffer;
}

async function coordinatorStub(
  t: ExecutionContext,
  answer: (req: SeenRequest) => { status: number; body: unknown },
): Promise<{ url: string; seen: SeenRequest[] }> {
  const seen: SeenRequest[] = [];
  const server = http.createServer(async (req, res) => {
    try {
      const { files } = await readMultipartUpload(req, { maxFileBytes: 10 * 1024 * 1024, maxFiles: 1 });
      const file = files[0]!;
      const request: SeenRequest = {
        url: req.url ?? '',
        authorization: req.headers.authorization,
        fieldName: file.fieldName,
        fileName: file.fileName,
        bytes: file.bytes,
      };
      seen.push(request);
      const { status, body } = answer(request);
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    } catch (err) {
      res.writeHead(500);
      res.end(String(err));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, seen };
}

const imageBody = (bytes: Buffer, duplicate: boolean) => ({ image: { id: 'img1', sha256: sha256(bytes) }, duplicate });

test('httpUploader posts the file as multipart field "image" with the bearer token, and maps 201/200', async (t) => {
  let duplicateNext = false;
  const stub = await coordinatorStub(t, (req) =>
    duplicateNext
      ? { status: 200, body: imageBody(req.bytes, true) }
      : { status: 201, body: imageBody(req.bytes, false) },
  );
  const upload = httpUploader({ coordinatorUrl: stub.url, eventId: 'ev 1', token: 'sekret-token' });
  const bytes = await jpeg(1);
  const file = { path: '/x/IMG_1.jpg', fileName: 'IMG_1.jpg', bytes, sha256: sha256(bytes) };

  t.is(await upload(file), 'uploaded');
  duplicateNext = true;
  t.is(await upload(file), 'duplicate');

  const first = stub.seen[0]!;
  t.is(first.url, '/api/events/ev%201/images');
  t.is(first.authorization, 'Bearer sekret-token');
  t.is(first.fieldName, 'image');
  t.is(first.fileName, 'IMG_1.jpg');
  t.true(first.bytes.equals(bytes));
});

test('httpUploader: 4xx refusals are permanent; 408, 429, 5xx, bad answers and network errors are retryable', async (t) => {
  let next: { status: number; body: unknown } = { status: 201, body: {} };
  const stub = await coordinatorStub(t, () => next);
  const upload = httpUploader({ coordinatorUrl: stub.url, eventId: 'e', token: 'tok' });
  const bytes = await jpeg(1);
  const file = { path: '/x/a.jpg', fileName: 'a.jpg', bytes, sha256: sha256(bytes) };

  for (const status of [400, 401, 403, 404, 413, 415, 422]) {
    next = { status, body: { error: { code: 'some_code', message: 'nope' } } };
    const err = await t.throwsAsync(upload(file));
    t.true(isUploadRejected(err), String(status));
    t.is((err as AppError).status, status);
    t.is((err as AppError).details?.remoteCode, 'some_code');
  }
  for (const status of [408, 429, 500, 502, 503]) {
    next = { status, body: { error: { code: 'busy', message: 'later' } } };
    const err = await t.throwsAsync(upload(file));
    t.false(isUploadRejected(err), String(status));
    t.true(isAppError(err, 'coordinator_error'), String(status));
  }
  next = { status: 201, body: { image: { sha256: 'f'.repeat(64) } } };
  const mismatch = await t.throwsAsync(upload(file));
  t.false(isUploadRejected(mismatch), 'content mismatch is retried');
  t.true(isAppError(mismatch, 'coordinator_answer_invalid'));

  const nowhere = httpUploader({ coordinatorUrl: 'http://127.0.0.1:1', eventId: 'e', token: 'tok' });
  const unreachable = await t.throwsAsync(nowhere(file));
  t.false(isUploadRejected(unreachable));
  t.true(isAppError(unreachable, 'coordinator_unreachable'));
});

test('end to end: the hot folder uploads through HTTP and survives a coordinator hiccup', async (t) => {
  let failuresLeft = 1;
  const stub = await coordinatorStub(t, (req) => {
    if (failuresLeft-- > 0) return { status: 503, body: { error: { code: 'unavailable', message: 'restarting' } } };
    return { status: 201, body: imageBody(req.bytes, false) };
  });
  const where = await setup(t);
  const bytes = await jpeg(5);
  await fs.writeFile(path.join(where.folder, 'shot.jpg'), bytes);
  const uploader = await startUploader(t, where, httpUploader({ coordinatorUrl: stub.url, eventId: 'e', token: 't' }));
  await uploader.idle();
  t.like(uploader.stats, { uploaded: 1, failed: 0 });
  t.is(stub.seen.length, 2);
  t.true(stub.seen[1]!.bytes.equals(bytes));
});

/* ---------------------------------------------------------------- CLI */

const TOKEN = 'vpm_ph_0123456789abcdefghijklmn';

test('CLI config: flags, environment fallbacks and the per-event default journal', (t) => {
  const config = parseWatchConfig(['--folder', 'shots', '--event', 'ev-1'], {
    VPM_COORDINATOR_URL: 'https://photos.example.com/',
    VPM_UPLOAD_TOKEN: TOKEN,
  });
  t.deepEqual(config, {
    folder: path.resolve('shots'),
    eventId: 'ev-1',
    coordinatorUrl: 'https://photos.example.com/',
    token: TOKEN,
    journalPath: path.resolve('shots', '.vpm-upload-journal-ev-1.jsonl'),
    stableMs: 2000,
  });
  const flagsWin = parseWatchConfig(
    [
      '--folder',
      '/x',
      '--event',
      'e',
      '--coordinator',
      'http://127.0.0.1:8080',
      '--token',
      TOKEN,
      '--journal',
      '/j.jsonl',
      '--stable-ms',
      '500',
    ],
    { VPM_COORDINATOR_URL: 'https://other.example.com', VPM_UPLOAD_TOKEN: 'other-token-xxxxxxxxxxxx' },
  );
  t.like(flagsWin, { coordinatorUrl: 'http://127.0.0.1:8080', token: TOKEN, journalPath: '/j.jsonl', stableMs: 500 });
});

test('CLI config: bad input is a ConfigError naming each problem', (t) => {
  const cases: Array<[string[], Record<string, string>, RegExp]> = [
    [['--event', 'e'], { VPM_COORDINATOR_URL: 'http://a', VPM_UPLOAD_TOKEN: TOKEN }, /--folder is required/],
    [['--folder', 'f', '--event', 'e', '--token', TOKEN], {}, /--coordinator/],
    [
      ['--folder', 'f', '--event', 'e', '--coordinator', 'ftp://a', '--token', TOKEN],
      {},
      /--coordinator must be an http/,
    ],
    [['--folder', 'f', '--event', 'e', '--coordinator', 'http://a'], {}, /--token is required/],
    [['--folder', 'f', '--event', 'e', '--coordinator', 'http://a', '--token', 'abc'], {}, /--token looks truncated/],
    [
      ['--folder', 'f', '--event', 'a/b', '--coordinator', 'http://a', '--token', TOKEN],
      {},
      /--event must not contain/,
    ],
    [
      ['--folder', 'f', '--event', 'e', '--coordinator', 'http://a', '--token', TOKEN, '--stable-ms', 'soon'],
      {},
      /--stable-ms/,
    ],
    [['--folder', 'f', '--unknown'], {}, /Unknown option '--unknown'/],
    [['positional'], {}, /positional/],
  ];
  for (const [argv, env, message] of cases) {
    const err = t.throws(() => parseWatchConfig(argv, env), undefined, argv.join(' '));
    t.true(err instanceof ConfigError, argv.join(' '));
    t.regex(err?.message ?? '', message, argv.join(' '));
  }
});

const WATCH_MAIN = path.resolve(import.meta.dirname, '../coordinator/cli/watch-main.ts');

function runCli(t: ExecutionContext, args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', WATCH_MAIN, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => {
    output += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    output += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return { child, exited, output: () => output };
}

test('CLI: bad configuration exits with code 2 and a message', async (t) => {
  const cli = runCli(t, ['--folder', '/definitely/not/here', '--event', 'e', '--coordinator', 'http://127.0.0.1:1'], {
    VPM_UPLOAD_TOKEN: TOKEN,
  });
  t.is(await cli.exited, 2);
  t.regex(cli.output(), /does not exist/);
});

test('CLI: uploads a new photo, then stops cleanly with exit code 0 on SIGTERM', async (t) => {
  const stub = await coordinatorStub(t, (req) => ({ status: 201, body: imageBody(req.bytes, false) }));
  const where = await setup(t);
  const cli = runCli(
    t,
    ['--folder', where.folder, '--event', 'ev1', '--journal', where.journalPath, '--stable-ms', '150'],
    {
      VPM_COORDINATOR_URL: stub.url,
      VPM_UPLOAD_TOKEN: TOKEN,
    },
  );
  await waitFor(() => cli.output().includes('press Ctrl-C'), 'the CLI to start', 20_000);
  const bytes = await jpeg(11);
  await fs.writeFile(path.join(where.folder, 'cli.jpg'), bytes);
  await waitFor(() => stub.seen.length === 1, 'the upload', 10_000);
  t.true(stub.seen[0]!.bytes.equals(bytes));
  t.is(stub.seen[0]!.authorization, `Bearer ${TOKEN}`);
  t.is(stub.seen[0]!.url, '/api/events/ev1/images');

  await waitFor(() => cli.output().includes('"msg":"uploaded"'), 'the journal record', 10_000);
  cli.child.kill('SIGTERM');
  t.is(await cli.exited, 0);
  t.like((await readJournal(where.journalPath))[0], { name: 'cli.jpg', sha256: sha256(bytes) });
});
