import test, { type ExecutionContext } from 'ava';
import request from 'supertest';
import { createApp } from '../coordinator/app.ts';
import type { CoordinatorDeps } from '../coordinator/deps.ts';
import { createServices } from '../coordinator/services/index.ts';
import { KIOSK_AUTHORISATION_LIMIT_MS } from '../coordinator/services/kiosk-sale-settle.ts';
import type { Store } from '../coordinator/store/port.ts';
import { signPrinterRequest } from '../shared/protocol/printer-auth.ts';
import { type Printer, sampleJpeg } from './fixtures/app-harness.ts';
import { createKioskHarness, type KioskHarness, TEST_READER } from './fixtures/kiosk-sale-harness.ts';

/**
 * A coordinator that dies in the middle of an own-photo card payment (issue #13 item 5), in
 * process: every write the flow makes (card terminal calls, sale transitions, job
 * compare-and-swaps) is a crash point, once just before it and once just after it (the effect
 * done, the caller never told). The call fails as a killed process's would; the kiosk and the
 * printer go on as theirs do (a new "Pay by card" key, retried reports), and the sweeper of the
 * "restarted" coordinator settles. Every run: never captured without the print, never printed
 * without an authorisation, never captured twice, no money left held.
 */

class Crash extends Error {}

/** Counts the flow's writes and throws a Crash at the armed one (before or after it happens). */
class Injector {
  count = 0;
  #at = -1;
  #when: 'before' | 'after' = 'after';

  arm(at: number, when: 'before' | 'after'): void {
    this.count = 0;
    this.#at = at;
    this.#when = when;
  }

  async around<T>(work: () => Promise<T>): Promise<T> {
    this.count += 1;
    const hit = this.count === this.#at;
    if (hit) this.#at = -1;
    if (hit && this.#when === 'before') throw new Crash(`crash before write ${this.count}`);
    const result = await work();
    if (hit) throw new Crash(`crash after write ${this.count}`);
    return result;
  }
}

function wrap<T extends object>(target: T, writes: readonly string[], inj: Injector, extra: Partial<T> = {}): T {
  return new Proxy(target, {
    get(t, prop) {
      if (Object.hasOwn(extra, prop)) return extra[prop as keyof T];
      const value = Reflect.get(t, prop, t) as unknown;
      if (typeof value !== 'function') return value;
      const bound = (value as (...a: unknown[]) => unknown).bind(t);
      return writes.includes(prop as string) ? (...args: unknown[]) => inj.around(async () => bound(...args)) : bound;
    },
  });
}

interface Run {
  k: KioskHarness;
  deps: CoordinatorDeps;
  sweep(): Promise<number>;
  call(method: 'get' | 'post', path: string, body?: unknown): Promise<request.Response>;
  close(): void;
}

function instrumented(k: KioskHarness, inj: Injector): Run {
  const jobs = k.h.store.ownPhotoJobs();
  const wrappedJobs = wrap(jobs, ['replaceOwnPhotoJob'], inj);
  const store = wrap<Store>(k.h.store, [], inj, { ownPhotoJobs: () => wrappedJobs });
  const deps: CoordinatorDeps = {
    ...k.deps,
    store,
    kioskSales: wrap(k.kioskSales, ['insertOrGet', 'transition', 'patch'], inj),
    cardTerminal: wrap(k.terminal, ['createAuthorisation', 'collect', 'cancelCollect', 'capture', 'void'], inj),
  };
  k.services.kioskSales.settler.stop();
  const services = createServices(deps);
  // The test sweeps by hand, so a sweep never races the flow's own steps.
  services.kioskSales.settler.stop();
  const http = request(createApp(deps, services).callback());
  const printer: Printer = k.printers[0]!;
  return {
    k,
    deps,
    sweep: () => services.kioskSales.settler.sweep(),
    call(method, path, body) {
      const raw = body === undefined ? '' : JSON.stringify(body);
      const headers = signPrinterRequest(printer.keyPair, method, path, Buffer.from(raw), k.h.clock.now());
      const req = http[method](path).set(headers);
      return body === undefined ? req : req.set('content-type', 'application/json').send(raw);
    },
    close: () => services.close(),
  };
}

/** What the kiosk and the printer do: pay by card (a new key after a failure), print once authorised. */
async function flow(r: Run, jobId: string, tag: string): Promise<void> {
  const { k } = r;
  for (let attempt = 0; attempt < 3; attempt++) {
    const job = await k.h.store.ownPhotoJobs().getOwnPhotoJob(jobId);
    if (job?.state === 'printed') return;
    if (job?.state === 'uploaded' || job?.state === 'awaiting_payment') {
      const started = await r.call('post', `/api/printer/own-photos/jobs/${jobId}/card-sale`, {
        readerId: TEST_READER,
        idempotencyKey: `${tag}-pay-${attempt}`,
      });
      if (started.status !== 201) continue;
      await k.terminal.present(TEST_READER, 'approve').catch(() => {});
      let state = started.body.sale.state as string;
      for (let poll = 0; poll < 3 && state === 'awaiting_payment'; poll++) {
        const res = await r.call('get', `/api/printer/own-photos/card-sales/${started.body.sale.id}`);
        if (res.status === 200) state = res.body.sale.state;
      }
    }
    // The printer: release, fetch, print, report (the report is retried until taken, as the edge does).
    const release = await r.call('post', `/api/printer/own-photos/jobs/${jobId}/release`);
    if (release.status !== 200) continue;
    for (let report = 0; report < 3; report++) {
      if ((await r.call('post', `/api/printer/own-photos/jobs/${jobId}/printed`)).status === 200) break;
    }
  }
}

async function settleAll(r: Run): Promise<void> {
  for (let pass = 0; pass < 4; pass++) {
    r.k.h.clock.advance(KIOSK_AUTHORISATION_LIMIT_MS / 2);
    await r.sweep().catch(() => 0);
  }
}

async function books(t: ExecutionContext, r: Run, jobId: string, label: string) {
  const job = (await r.k.h.store.ownPhotoJobs().getOwnPhotoJob(jobId))!;
  const payments = r.k.terminal.payments();
  const captured = payments.filter((p) => p.status === 'captured');
  t.true(
    payments.every((p) => p.captureCount <= 1),
    `${label}: no payment captured twice`,
  );
  t.is(payments.filter((p) => p.status === 'authorised').length, 0, `${label}: no money left held`);
  t.is(captured.length, job.state === 'printed' ? 1 : 0, `${label}: captured once exactly when printed`);
  if (job.state === 'printed') {
    t.is(job.paidVia, 'kiosk_sale', `${label}: printed under a card payment`);
    t.is(
      captured[0]?.saleId,
      job.paidSessionId ?? undefined,
      `${label}: the captured payment is the one that paid the job`,
    );
  } else {
    t.is(job.paidSessionId, null, `${label}: an unprinted job is left unpaid`);
  }
  const open = await r.k.kioskSales.listOpen(10);
  t.deepEqual(
    open.map((s) => s.state),
    [],
    `${label}: every sale settled`,
  );
  return job.state;
}

async function uploadJob(k: KioskHarness, seed: number): Promise<string> {
  const res = await k.http
    .post('/own-photos/upload')
    .set('accept', 'application/json')
    .attach('photos', await sampleJpeg(seed), 'IMG.jpg');
  return (res.body as { job: { id: string } }).job.id;
}

test('a crash before or after each write of the own-photo card flow: every run converges, no money taken wrongly', async (t) => {
  // The clean run: how many writes the flow makes (the crash points).
  const clean = await createKioskHarness();
  t.teardown(() => clean.close());
  const cleanInj = new Injector();
  const cleanRun = instrumented(clean, cleanInj);
  t.teardown(() => cleanRun.close());
  const cleanJob = await uploadJob(clean, 70);
  cleanInj.arm(-1, 'after');
  await flow(cleanRun, cleanJob, 'clean');
  await settleAll(cleanRun);
  t.is(await books(t, cleanRun, cleanJob, 'clean'), 'printed');
  const writes = cleanInj.count;
  t.true(writes >= 8, `the flow makes ${writes} writes`);
  t.log(`${writes} writes → ${writes * 2} crash points`);

  let printed = 0;
  for (let at = 1; at <= writes; at++) {
    for (const when of ['before', 'after'] as const) {
      const k = await createKioskHarness();
      const inj = new Injector();
      const r = instrumented(k, inj);
      try {
        const jobId = await uploadJob(k, 70 + at);
        inj.arm(at, when);
        await flow(r, jobId, `${when}-${at}`);
        await settleAll(r);
        if ((await books(t, r, jobId, `crash ${when} write ${at}`)) === 'printed') printed++;
      } finally {
        r.close();
        await k.close();
      }
    }
  }
  // With a new "Pay by card" after a failure and retried reports, every run ends printed and paid once.
  t.is(printed, writes * 2, 'every run prints after the restart');
});
