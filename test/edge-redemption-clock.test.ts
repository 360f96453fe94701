import test from 'ava';
import type { CoordinatorClient } from '../edge-node/coordinator-client.ts';
import { JobLog } from '../edge-node/jobs/job-log.ts';
import {
  type RedemptionProgress,
  RedemptionService,
  type RedemptionServiceOptions,
} from '../edge-node/jobs/redemption-service.ts';
import { CATALOG_POLL_MS, CATALOG_WAIT_MS } from '../edge-node/jobs/redemption-timing.ts';
import type { EventReplica } from '../edge-node/mesh/event-replica.ts';
import type { PrinterPort } from '../edge-node/printing/port.ts';
import { ManualClock } from '../shared/ports/clock.ts';
import type { RedeemJob } from '../shared/protocol/printer-api.ts';
import { newOrderCode } from '../shared/token/order-code.ts';
import { tempDir } from './fixtures/feed-fixtures.ts';

/**
 * The catalog wait is measured with the service's clock and must be waited out with the same clock:
 * under a manual clock (tests, the simulator) the deadline passes as time is moved, and the unit
 * fails with its code instead of waiting forever on real timers.
 */
test('redemption under a manual clock: a photo never in the catalog fails once the clock passes CATALOG_WAIT_MS', async (t) => {
  const start = 1_700_000_000_000;
  const clock = new ManualClock(start);
  const code = newOrderCode();
  const job: RedeemJob = {
    order: { id: 'order-1', code, eventId: 'ev-1', state: 'redeeming', items: [{ imageId: 'img-1', copies: 1 }] },
    feed: { eventId: 'ev-1', blobsKey: '00', catalogKey: '00', encryptionKey: '00' },
    units: [{ unit: 0, imageId: 'img-1', copy: 1, printed: false, lacking: true, image: null }],
    token: 'token-of-the-order',
  };
  const log = new JobLog(`${await tempDir(t, 'vpm-redemption-clock-')}/jobs.log`);
  await log.ready();
  let catalogReads = 0;
  /** When the unit started waiting for the catalog (the claim's fsync before it takes real time). */
  let firstReadAt: number | null = null;
  const printed: string[] = [];
  const options: RedemptionServiceOptions = {
    client: {
      redeemCode: async () => structuredClone(job),
      confirmPrinted: async () => ({ order: { state: 'redeeming', printedCount: 0 } }),
    } as unknown as CoordinatorClient,
    tokenKeys: () => new Map(),
    clock,
    log,
    // The photo was just uploaded and is not on this printer's catalog: every read answers "not yet".
    replicaFor: async () =>
      ({
        entry: async () => {
          catalogReads++;
          firstReadAt ??= clock.now();
          return null;
        },
      }) as unknown as EventReplica,
    fetcher: { fetch: async () => ({ bytes: Buffer.from('photo'), source: 'local' }) } as never,
    printer: {
      printPhoto: async (_b: Buffer, o: { jobId?: string }) => void printed.push(o.jobId ?? '?'),
      printReceipt: async () => void printed.push('receipt'),
    } as unknown as PrinterPort,
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

  let result: RedemptionProgress | null = null;
  const running = service.redeem(code).then((p) => {
    result = p;
  });
  // The claim is fsync'd to the job log first (real I/O, not clock time): wait for the first catalog read.
  for (let i = 0; i < 2_000 && firstReadAt === null; i++) await new Promise((r) => setTimeout(r, 5));
  t.not(firstReadAt, null, 'the unit started waiting for the catalog');
  // Move time in poll-sized steps; each step lets the service read the catalog again.
  const maxSteps = Math.ceil((CATALOG_WAIT_MS * 2) / CATALOG_POLL_MS);
  for (let step = 0; step < maxSteps && result === null; step++) await clock.tick(CATALOG_POLL_MS);
  await running;
  const p = result as RedemptionProgress | null;
  t.truthy(p, 'the redemption ended under the manual clock');
  const waited = clock.now() - (firstReadAt ?? start);
  t.true(waited > CATALOG_WAIT_MS, `it ended only after the deadline had passed on the clock (${waited} ms)`);
  t.true(waited <= CATALOG_WAIT_MS + 2 * CATALOG_POLL_MS, `and promptly after it (${waited} ms)`);
  t.true(catalogReads > 1, 'the catalog was read again between polls');
  t.is(p!.units[0]!.state, 'failed');
  t.is(p!.error?.code, 'image_not_in_feed');
  t.true(p!.done);
  t.deepEqual(printed, [], 'nothing went to the printer');
});
