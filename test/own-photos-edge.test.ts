import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import pino from 'pino';
import { CoordinatorError } from '../edge-node/coordinator-client.ts';
import { OwnPhotoJournal } from '../edge-node/own-photos/own-photo-journal.ts';
import {
  OWN_PHOTO_HOLD_RENEW_MS,
  OWN_PHOTO_REPORT_RETRY_MS,
  OwnPhotoPrinting,
  type OwnPhotoPrintingClient,
  type OwnPhotoProgress,
} from '../edge-node/own-photos/own-photo-printing.ts';
import type { PrinterPort, PrintOptions } from '../edge-node/printing/port.ts';
import { AppError } from '../shared/errors.ts';
import { ManualClock } from '../shared/ports/clock.ts';
import type { OwnPhotoReleaseAnswer } from '../shared/protocol/own-photo-api.ts';

const PHOTOS = [Buffer.from('photo zero'), Buffer.from('photo one')];
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** The coordinator, as far as printing a job needs it: one job, copies 1 and 2 (three prints). */
class FakeCoordinator implements OwnPhotoPrintingClient {
  releases = 0;
  printedReports = 0;
  failures: string[] = [];
  fetches: number[] = [];
  refuseRelease: CoordinatorError | null = null;

  async release(jobId: string): Promise<OwnPhotoReleaseAnswer> {
    if (this.refuseRelease) throw this.refuseRelease;
    this.releases++;
    return this.#answer(jobId);
  }

  #answer(jobId: string): OwnPhotoReleaseAnswer {
    return {
      job: {
        id: jobId,
        code: 'ABC123',
        state: 'released',
        imageCount: 2,
        printCount: 3,
        createdAt: 0,
        expiresAt: 1,
        fee: null,
        heldBy: 'me',
      },
      attempt: Math.max(1, this.releases),
      images: [
        { n: 0, sha256: sha(PHOTOS[0]!), byteLength: PHOTOS[0]!.length, copies: 1 },
        { n: 1, sha256: sha(PHOTOS[1]!), byteLength: PHOTOS[1]!.length, copies: 2 },
      ],
    };
  }

  async image(_jobId: string, n: number): Promise<Buffer> {
    this.fetches.push(n);
    return PHOTOS[n]!;
  }

  async printed(jobId: string) {
    this.printedReports++;
    return this.#answer(jobId).job;
  }

  async failed(jobId: string, reason: string) {
    this.failures.push(reason);
    return this.#answer(jobId).job;
  }
}

/** A printer that records what it printed and can be told to fail the next job. */
class FakePrinter extends EventEmitter {
  readonly kind = 'file' as const;
  readonly widthDots = 576;
  printed: string[] = [];
  failNext: Error | null = null;

  async printPhoto(_image: Buffer, opts: PrintOptions & { label?: string } = {}): Promise<void> {
    if (this.failNext) {
      const err = this.failNext;
      this.failNext = null;
      throw err;
    }
    this.printed.push(opts.jobId ?? '?');
  }
}

async function setup(t: ExecutionContext, coordinator = new FakeCoordinator(), printer = new FakePrinter()) {
  const dir = await mkdtemp(join(tmpdir(), 'vpm-own-edge-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'own-photo-jobs.log');
  const clock = new ManualClock(1_767_000_000_000);
  const open = async () => {
    const journal = new OwnPhotoJournal(path);
    await journal.ready();
    const printing = new OwnPhotoPrinting({
      client: coordinator,
      printer: printer as unknown as PrinterPort,
      journal,
      clock,
      logger: pino({ level: 'silent' }),
    });
    const finished = new Map<string, OwnPhotoProgress>();
    const waiters = new Map<string, (p: OwnPhotoProgress) => void>();
    printing.on('progress', (p: OwnPhotoProgress) => {
      if (p.state === 'printing') return;
      finished.set(p.jobId, p);
      waiters.get(p.jobId)?.(p);
    });
    await printing.ready();
    const close = async () => {
      await printing.close();
      await journal.close();
    };
    t.teardown(close);
    const outcome = (jobId: string) =>
      finished.get(jobId) ?? new Promise<OwnPhotoProgress>((resolve) => waiters.set(jobId, resolve));
    return { journal, printing, outcome, close, clock };
  };
  return { path, coordinator, printer, open };
}

test('a released job prints each copy once, is reported printed, and a second start joins instead of printing again', async (t) => {
  const { coordinator, printer, open } = await setup(t);
  const node = await open();
  const [first, second] = await Promise.all([node.printing.start('job-1'), node.printing.start('job-1')]);
  t.is(first.total, 3);
  t.is(second.jobId, 'job-1');
  const done = await node.outcome('job-1');
  t.is(done.state, 'done');
  t.deepEqual(printer.printed, ['own-job-1-0', 'own-job-1-1', 'own-job-1-2']);
  t.is(coordinator.printedReports, 1);
  // Each photo fetched once from the coordinator, on demand.
  t.deepEqual(coordinator.fetches, [0, 1]);
  t.is(node.journal.unfinished().length, 0);
});

test('a restart after two of three prints prints only the third, then reports', async (t) => {
  const { path, coordinator, printer, open } = await setup(t);
  const units = [
    { unit: 0, n: 0, sha256: sha(PHOTOS[0]!) },
    { unit: 1, n: 1, sha256: sha(PHOTOS[1]!) },
    { unit: 2, n: 1, sha256: sha(PHOTOS[1]!) },
  ];
  // What the journal holds after a kill -9 between the second print and the third (a torn last line too).
  await writeFile(
    path,
    [
      JSON.stringify({ t: 'released', jobId: 'job-2', code: 'ABC123', units, at: 1 }),
      JSON.stringify({ t: 'printing', jobId: 'job-2', unit: 0, at: 2 }),
      JSON.stringify({ t: 'printed', jobId: 'job-2', unit: 0, at: 3 }),
      JSON.stringify({ t: 'printing', jobId: 'job-2', unit: 1, at: 4 }),
      JSON.stringify({ t: 'printed', jobId: 'job-2', unit: 1, at: 5 }),
      '{"t":"printing","jobId":"job-2","un',
    ].join('\n'),
  );
  const node = await open();
  const done = await node.outcome('job-2');
  t.is(done.state, 'done');
  t.deepEqual(printer.printed, ['own-job-2-2']);
  t.is(coordinator.printedReports, 1);
});

test('a restart after every print but before the report only reports', async (t) => {
  const { path, coordinator, printer, open } = await setup(t);
  const units = [{ unit: 0, n: 0, sha256: sha(PHOTOS[0]!) }];
  await writeFile(
    path,
    `${[
      JSON.stringify({ t: 'released', jobId: 'job-3', code: 'ABC123', units, at: 1 }),
      JSON.stringify({ t: 'printed', jobId: 'job-3', unit: 0, at: 2 }),
    ].join('\n')}\n`,
  );
  const node = await open();
  t.is((await node.outcome('job-3')).state, 'done');
  t.deepEqual(printer.printed, []);
  t.is(coordinator.releases, 0, 'nothing released again');
  t.is(coordinator.printedReports, 1);
  await node.close();
  // The finished job is dropped from the journal at the next start.
  const reopened = await open();
  t.is(reopened.journal.unfinished().length, 0);
  t.false((await readFile(path, 'utf8')).includes('job-3'));
});

test('a print failure is reported (the job is free to retry) and a retry prints the whole job', async (t) => {
  const { coordinator, printer, open } = await setup(t);
  const node = await open();
  printer.failNext = new AppError('printer_offline', 'The printer is out of paper.');
  await node.printing.start('job-4');
  const failed = await node.outcome('job-4');
  t.is(failed.state, 'failed');
  t.is(failed.error?.code, 'printer_offline');
  t.deepEqual(coordinator.failures, ['printer_offline: The printer is out of paper.']);
  t.deepEqual(printer.printed, []);
  t.is(coordinator.printedReports, 0);
  // The fan tries again (here; another printer works the same): the whole job prints, once.
  const done = new Promise<void>((resolve) =>
    node.printing.on('progress', (p: OwnPhotoProgress) => p.state === 'done' && resolve()),
  );
  await node.printing.start('job-4');
  await done;
  t.deepEqual(printer.printed, ['own-job-4-0', 'own-job-4-1', 'own-job-4-2']);
  t.is(coordinator.printedReports, 1);
});

test('a job resumed after a restart that another printer took over is not printed here', async (t) => {
  const { path, coordinator, printer, open } = await setup(t);
  const units = [{ unit: 0, n: 0, sha256: sha(PHOTOS[0]!) }];
  await writeFile(path, `${JSON.stringify({ t: 'released', jobId: 'job-5', code: 'ABC123', units, at: 1 })}\n`);
  coordinator.refuseRelease = new CoordinatorError(409, 'own_photo_job_held', 'held by another printer');
  const node = await open();
  const outcome = await node.outcome('job-5');
  t.is(outcome.state, 'failed');
  t.is(outcome.error?.code, 'own_photo_job_held');
  t.deepEqual(printer.printed, []);
  t.is(node.journal.unfinished().length, 0);
});

test('while a job waits for the printer (out of paper), its hold is renewed, so no other printer takes it', async (t) => {
  const coordinator = new FakeCoordinator();
  const printer = new FakePrinter();
  let paperIn: () => void = () => {};
  const waiting = new Promise<void>((resolve) => {
    paperIn = resolve;
  });
  let printing = 0;
  printer.printPhoto = async (_image, opts = {}) => {
    printing++;
    if (printing === 1) await waiting;
    printer.printed.push(opts.jobId ?? '?');
  };
  const { open } = await setup(t, coordinator, printer);
  const node = await open();
  await node.printing.start('job-6');
  t.is(coordinator.releases, 1);
  // Three renewal periods pass while the first print waits for paper.
  for (let i = 0; i < 3; i++) await node.clock.tick(OWN_PHOTO_HOLD_RENEW_MS);
  t.is(coordinator.releases, 4, 'one renewal per period');
  paperIn();
  t.is((await node.outcome('job-6')).state, 'done');
  t.is(printer.printed.length, 3);
  const after = coordinator.releases;
  await node.clock.tick(2 * OWN_PHOTO_HOLD_RENEW_MS);
  t.is(coordinator.releases, after, 'no renewals once the job is done');
});

test('a job resumed while the coordinator is unreachable waits for it, then prints the rest', async (t) => {
  const { path, coordinator, printer, open } = await setup(t);
  const units = [
    { unit: 0, n: 0, sha256: sha(PHOTOS[0]!) },
    { unit: 1, n: 1, sha256: sha(PHOTOS[1]!) },
  ];
  await writeFile(
    path,
    `${[
      JSON.stringify({ t: 'released', jobId: 'job-7', code: 'ABC123', units, at: 1 }),
      JSON.stringify({ t: 'printed', jobId: 'job-7', unit: 0, at: 2 }),
    ].join('\n')}\n`,
  );
  coordinator.refuseRelease = new CoordinatorError(503, 'coordinator_unreachable', 'no uplink');
  const node = await open();
  await node.clock.tick(OWN_PHOTO_REPORT_RETRY_MS);
  t.deepEqual(printer.printed, [], 'nothing printed without the release');
  coordinator.refuseRelease = null;
  await node.clock.tick(OWN_PHOTO_REPORT_RETRY_MS);
  t.is((await node.outcome('job-7')).state, 'done');
  t.deepEqual(printer.printed, ['own-job-7-1']);
});
