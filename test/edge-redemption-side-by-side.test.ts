/**
 * A station with several printers (a printer port with `unitConcurrency` > 1) gets an order's units
 * side by side, never more at once than it has places; a single printer gets them one after another.
 * Each unit is still handed over once and the receipt comes after the last one.
 */
import test, { type ExecutionContext } from 'ava';
import type { CoordinatorClient } from '../edge-node/coordinator-client.ts';
import { JobLog } from '../edge-node/jobs/job-log.ts';
import { RedemptionService, type RedemptionServiceOptions } from '../edge-node/jobs/redemption-service.ts';
import type { EventReplica } from '../edge-node/mesh/event-replica.ts';
import type { PrinterPort } from '../edge-node/printing/port.ts';
import { systemClock } from '../shared/ports/clock.ts';
import type { RedeemJob } from '../shared/protocol/printer-api.ts';
import { newOrderCode } from '../shared/token/order-code.ts';
import { tempDir } from './fixtures/feed-fixtures.ts';

async function redeemThreeUnits(t: ExecutionContext, unitConcurrency: number | undefined) {
  const code = newOrderCode();
  const items = ['a', 'b', 'c'].map((id) => ({ imageId: `img-${id}`, copies: 1 }));
  const job: RedeemJob = {
    order: { id: 'order-s', code, eventId: 'ev-1', state: 'redeeming', items },
    feed: { eventId: 'ev-1', blobsKey: '00', catalogKey: '00', encryptionKey: '00' },
    units: items.map((it, unit) => ({
      unit,
      imageId: it.imageId,
      copy: 1,
      printed: false,
      lacking: false,
      image: null,
    })),
    token: 'token-of-the-order',
  };
  const log = new JobLog(`${await tempDir(t, 'vpm-side-by-side-')}/jobs.log`);
  await log.ready();
  const events: string[] = [];
  let open = 0;
  let mostOpen = 0;
  const finishers: Array<() => void> = [];
  const printer = {
    unitConcurrency,
    printPhoto: (_b: Buffer, o: { jobId?: string }) =>
      new Promise<void>((resolve) => {
        open++;
        mostOpen = Math.max(mostOpen, open);
        events.push(`start ${o.jobId}`);
        finishers.push(() => {
          open--;
          events.push(`end ${o.jobId}`);
          resolve();
        });
      }),
    printReceipt: async () => void events.push('receipt'),
  } as unknown as PrinterPort;
  const options: RedemptionServiceOptions = {
    client: {
      redeemCode: async () => structuredClone(job),
      confirmPrinted: async () => ({ order: { state: 'redeeming', printedCount: 0 } }),
    } as unknown as CoordinatorClient,
    tokenKeys: () => new Map(),
    clock: systemClock,
    log,
    replicaFor: async () =>
      ({
        entry: async (imageId: string) => ({ imageId, seq: 0, sha256: 'x', byteLength: 5, width: 1, height: 1 }),
      }) as unknown as EventReplica,
    fetcher: { fetch: async () => ({ bytes: Buffer.from('photo'), source: 'local' }) } as never,
    printer,
    venueName: () => 'Arena',
    printerName: () => 'P1',
    logger: { info() {}, warn() {}, error() {}, debug() {} } as unknown as RedemptionServiceOptions['logger'],
  };
  const service = new RedemptionService(options);
  await service.ready();
  t.teardown(async () => {
    await service.close();
    await log.close();
  });
  const running = service.redeem(code);
  // The printer finishes a unit only when every unit it may hold at once has been handed over.
  const places = unitConcurrency ?? 1;
  let finished = 0;
  while (finished < 3) {
    const expected = Math.min(places, 3 - finished);
    for (let i = 0; i < 2_000 && finishers.length < expected; i++) await new Promise((r) => setTimeout(r, 5));
    t.is(finishers.length, expected, `the printer holds ${expected} unit(s) now: ${events.join(', ')}`);
    finishers.shift()!();
    finished++;
  }
  const progress = await running;
  return { progress, events, mostOpen };
}

test('a station with two places gets two units of one order at once, never three', async (t) => {
  const { progress, events, mostOpen } = await redeemThreeUnits(t, 2);
  t.is(mostOpen, 2, events.join(', '));
  t.deepEqual(
    progress.units.map((u) => u.state),
    ['printed', 'printed', 'printed'],
  );
  t.is(events.filter((e) => e.startsWith('start')).length, 3, 'each unit handed over once');
  t.is(events.at(-1), 'receipt', 'the receipt comes after the last print');
});

test('a single printer gets the units one after another', async (t) => {
  const { events, mostOpen } = await redeemThreeUnits(t, undefined);
  t.is(mostOpen, 1, events.join(', '));
  t.is(events.at(-1), 'receipt');
});
