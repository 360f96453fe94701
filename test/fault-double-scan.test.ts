import { setTimeout as sleep } from 'node:timers/promises';
import test from 'ava';
import type { CoordinatorClient, RedeemJob } from '../edge-node/coordinator-client.ts';
import { JobLog, type JobRecord } from '../edge-node/jobs/job-log.ts';
import { RedemptionService, type RedemptionServiceOptions } from '../edge-node/jobs/redemption-service.ts';
import type { EventReplica } from '../edge-node/mesh/event-replica.ts';
import type { PrinterPort } from '../edge-node/printing/port.ts';
import type { CatalogEntry } from '../shared/feed/feed-layout.ts';
import { ManualClock } from '../shared/ports/clock.ts';
import { newOrderCode } from '../shared/token/order-code.ts';
import { generateSigningKey, signRedemptionToken } from '../shared/token/redemption-token.ts';
import { tempDir } from './fixtures/feed-fixtures.ts';

const SCANS = 5;
/** A printer's SD card can take this long to fsync: the window in which a second scan arrives. */
const SLOW_FSYNC_MS = 40;

/** A job log on slow storage: every append takes SLOW_FSYNC_MS longer. */
class SlowJobLog extends JobLog {
  override async append(record: JobRecord): Promise<void> {
    await sleep(SLOW_FSYNC_MS);
    return super.append(record);
  }
}

/**
 * A keyboard-wedge scanner reads one QR code several times in a row, or the fan taps "print" twice:
 * the same code reaches the same printer while the first scan is still logging its claim. Each photo
 * must reach the printer port once (the file printer would hide a repeat by its job id; a thermal
 * printer would print it), with one receipt.
 */
test('the same code scanned several times at once at one printer: each photo goes to the printer once', async (t) => {
  const now = Date.now();
  const key = generateSigningKey(1);
  const code = newOrderCode();
  const token = signRedemptionToken(code, now + 3_600_000, key);
  const imageId = 'img-1';
  const job: RedeemJob = {
    order: { id: 'order-1', code, eventId: 'ev-1', state: 'redeeming', items: [{ imageId, copies: 3 }] },
    feed: { eventId: 'ev-1', blobsKey: '00', catalogKey: '00', encryptionKey: '00' },
    units: [0, 1, 2].map((unit) => ({ unit, imageId, copy: unit + 1, printed: false, lacking: false, image: null })),
  };
  const entry = { imageId, seq: 0, sha256: 'x', blob: { blockOffset: 0, blockLength: 1 } } as unknown as CatalogEntry;
  const log = new SlowJobLog(`${await tempDir(t, 'vpm-double-scan-')}/jobs.log`);
  await log.ready();
  t.teardown(() => log.close());
  let claims = 0;
  const client = {
    // Every scan is granted: the coordinator renews the same printer's claim.
    redeem: async () => {
      claims++;
      await sleep(1);
      return structuredClone(job);
    },
    confirmPrinted: async () => ({ order: { state: 'redeeming', printedCount: 0 } }),
  } as unknown as CoordinatorClient;
  const sent: string[] = [];
  const printer = {
    printPhoto: async (_bytes: Buffer, opts: { jobId?: string }) => {
      sent.push(opts.jobId ?? '?');
      await sleep(5);
    },
    printReceipt: async () => {
      sent.push('receipt');
    },
  } as unknown as PrinterPort;
  const options: RedemptionServiceOptions = {
    client,
    tokenKeys: () => new Map([[key.keyId, key.publicKey]]),
    clock: new ManualClock(now),
    log,
    replicaFor: async () => ({ entry: async () => entry }) as unknown as EventReplica,
    fetcher: { fetch: async () => ({ bytes: Buffer.from('photo'), source: 'local' }) } as never,
    printer,
    venueName: () => 'Arena',
    printerName: () => 'P1',
    logger: { info() {}, warn() {}, error() {}, debug() {} } as unknown as RedemptionServiceOptions['logger'],
  };
  const service = new RedemptionService(options);
  await service.ready();
  t.teardown(() => service.close());

  const results = await Promise.all(Array.from({ length: SCANS }, () => service.redeem(token)));
  t.is(claims, SCANS, 'every scan reached the coordinator');
  for (const r of results) {
    t.deepEqual(
      r.units.map((u) => u.state),
      ['printed', 'printed', 'printed'],
    );
  }
  t.deepEqual(sent, ['order-1-0', 'order-1-1', 'order-1-2', 'receipt'], 'each photo once, one receipt');
});
