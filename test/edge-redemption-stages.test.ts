/**
 * Where a redemption's time goes (issue #16, scan → print): the service reports each stage on its
 * clock, and whether each photo print had been rendered ahead, for the node's metrics.
 */
import test from 'ava';
import type { CoordinatorClient } from '../edge-node/coordinator-client.ts';
import { JobLog } from '../edge-node/jobs/job-log.ts';
import {
  RedemptionService,
  type RedemptionServiceOptions,
  type RedemptionStage,
} from '../edge-node/jobs/redemption-service.ts';
import type { EventReplica } from '../edge-node/mesh/event-replica.ts';
import type { PrinterPort } from '../edge-node/printing/port.ts';
import { NodeMetrics } from '../edge-node/status/node-metrics.ts';
import type { CatalogEntry } from '../shared/feed/feed-layout.ts';
import { ManualClock } from '../shared/ports/clock.ts';
import type { RedeemJob } from '../shared/protocol/printer-api.ts';
import { newOrderCode } from '../shared/token/order-code.ts';
import { tempDir } from './fixtures/feed-fixtures.ts';

const CLAIM_MS = 40;
/** Both photos are fetched before the first print starts, so no two fake steps overlap on the clock. */
const FETCH_MS = { 'img-1': 5, 'img-2': 30 } as Record<string, number>;
const PRINT_MS = 120;
const RECEIPT_MS = 15;

test('a redemption starts warming its order up before the claim, reports claim, image, print and receipt times on its clock and which prints were rendered ahead, and says when the station is idle again', async (t) => {
  const clock = new ManualClock(1_700_000_000_000);
  // Each fake step takes its time on the manual clock (the service's only clock).
  const takes = (ms: number) => clock.tick(ms);
  const code = newOrderCode();
  const job: RedeemJob = {
    order: {
      id: 'order-1',
      code,
      eventId: 'ev-1',
      state: 'redeeming',
      items: [
        { imageId: 'img-1', copies: 1 },
        { imageId: 'img-2', copies: 1 },
      ],
    },
    feed: { eventId: 'ev-1', blobsKey: '00', catalogKey: '00', encryptionKey: '00' },
    units: [
      { unit: 0, imageId: 'img-1', copy: 1, printed: false, lacking: false, image: null },
      { unit: 1, imageId: 'img-2', copy: 1, printed: false, lacking: true, image: null },
    ],
    token: 'token-of-the-order',
  };
  const log = new JobLog(`${await tempDir(t, 'vpm-redemption-stages-')}/jobs.log`);
  await log.ready();
  const stages: Array<[RedemptionStage, number]> = [];
  const renders: string[] = [];
  const metrics = new NodeMetrics();
  const warmed: string[] = [];
  let claimAskedAfterWarmUp = false;
  const options: RedemptionServiceOptions = {
    client: {
      redeemCode: async () => {
        claimAskedAfterWarmUp = warmed.length === 1;
        await takes(CLAIM_MS);
        return structuredClone(job);
      },
      confirmPrinted: async () => ({ order: { state: 'redeeming', printedCount: 0 } }),
    } as unknown as CoordinatorClient,
    tokenKeys: () => new Map(),
    clock,
    log,
    replicaFor: async () =>
      ({ entry: async (imageId: string) => ({ imageId }) as unknown as CatalogEntry }) as unknown as EventReplica,
    fetcher: {
      fetch: async (_r: unknown, entry: CatalogEntry) => {
        await takes(FETCH_MS[entry.imageId]!);
        return { bytes: Buffer.from(entry.imageId), source: 'local' };
      },
    } as never,
    printer: {
      // img-1 was rendered ahead in the background; img-2 renders while the fan waits.
      isPrerendered: (key: string) => key === 'img-1',
      printPhoto: () => takes(PRINT_MS),
      printReceipt: () => takes(RECEIPT_MS),
    } as unknown as PrinterPort,
    venueName: () => 'Arena',
    printerName: () => 'P1',
    logger: { info() {}, warn() {}, error() {}, debug() {} } as unknown as RedemptionServiceOptions['logger'],
    warmUp: async (orderCode) => void warmed.push(orderCode),
    onStage: (stage, ms) => {
      stages.push([stage, ms]);
      metrics.observeStage(stage, ms);
    },
    onPrintRender: (when) => {
      renders.push(when);
      metrics.printsRendered.inc({ when });
    },
  };
  const service = new RedemptionService(options);
  await service.ready();
  t.teardown(async () => {
    await service.close();
    await log.close();
  });

  const queueWhenIdle: number[] = [];
  service.on('idle', () => queueWhenIdle.push(service.queue));
  const result = await service.redeem(code);
  t.true(result.done);
  t.deepEqual(queueWhenIdle, [0], 'it said it was idle once the order was done, with nothing left in its queue');
  t.falsy(result.error);
  const of = (stage: RedemptionStage) => stages.filter(([s]) => s === stage).map(([, ms]) => ms);
  t.deepEqual(of('claim'), [CLAIM_MS]);
  // One report per photo, from the order's start until its bytes are here.
  t.is(of('image').length, 2);
  t.true(Math.min(...of('image')) >= FETCH_MS['img-1']!);
  t.true(Math.max(...of('image')) >= FETCH_MS['img-2']!);
  t.deepEqual(of('print'), [PRINT_MS, PRINT_MS]);
  t.deepEqual(of('receipt'), [RECEIPT_MS]);
  t.deepEqual(renders, ['ahead', 'at_print']);
  t.deepEqual(warmed, [code], 'the order was warmed up once');
  t.true(claimAskedAfterWarmUp, 'the warm-up started before the claim went to the coordinator');
  metrics.prerenderBacklogOf = () => 3;
  const text = await metrics.registry.metrics();
  t.regex(text, /^vpm_edge_prerender_backlog_photos 3$/m, 'read from the pre-renderer when scraped');
  t.regex(text, /^vpm_edge_redemption_stage_seconds_count\{stage="print"\} 2$/m);
  t.regex(text, /^vpm_edge_redemption_stage_seconds_sum\{stage="claim"\} 0\.04$/m);
  t.regex(text, /^vpm_edge_prints_rendered_total\{when="ahead"\} 1$/m);
  t.regex(text, /^vpm_edge_prints_rendered_total\{when="at_print"\} 1$/m);
});
