import { createHash } from 'node:crypto';
import type Corestore from 'corestore';
import { AppError } from '../../shared/errors.ts';
import type { OrdersFeedEntry } from '../../shared/feed/orders-feed-layout.ts';
import { Resource } from '../../shared/lifecycle/resource.ts';
import {
  claimHoldMs,
  isolatedVerdict,
  type OfflineVerdict,
  offlineVerdict,
  type SeenClaimRecord,
  unsyncedOfflineHolder,
} from '../../shared/policy/offline-claim-rule.ts';
import { expandPrintUnits } from '../../shared/policy/order-state.ts';
import { PreRenderAssignment } from '../../shared/policy/prerender-stations.ts';
import type { Clock, Timer } from '../../shared/ports/clock.ts';
import type { StructuredLogger } from '../../shared/ports/logger.ts';
import type { PrinterProfile, RedeemJob } from '../../shared/protocol/printer-api.ts';
import type { CoordinatorClient } from '../coordinator-client.ts';
import type { JobLog, OfflineClaim } from '../jobs/job-log.ts';
import type { CloudLane } from '../mesh/cloud-lane.ts';
import type { CloudSessions } from '../mesh/traffic.ts';
import type { PaidPhotos } from './awaiting-print.ts';
import { ClaimsLog, type SmallCoreRegistry } from './claims-log.ts';
import type { OfflineConfig } from './offline-config.ts';
import type { OfflinePath } from './offline-path.ts';
import { OrdersReplica } from './orders-replica.ts';
import { OfflineReconciler } from './reconciler.ts';

/**
 * Peers' offline claims arriving within this long are reported once: a peer's log catching up after
 * an outage brings its claims one after the other, and each report re-ranks every photo held.
 */
export const OFFLINE_CLAIM_REPORT_COALESCE_MS = 250;
/** A printer not first in line to fetch new orders from the cloud gives its LAN peers this long. */
export const ORDERS_LAN_GRACE_MS = 3_000;
/** One cloud session fetching new orders gives up after this long (the next refresh tries again). */
export const ORDERS_CLOUD_SYNC_TIMEOUT_MS = 15_000;
/** The online path's look at the orders feed must not slow a fan down. */
const ONLINE_CHECK_LOOKUP_TIMEOUT_MS = 250;
const ORDERS_POLL_MS = 50;

export interface OfflineRedemptionOptions {
  corestore: Corestore;
  /** The node's cloud lane: the orders feed comes from the cloud through it. */
  lane?: CloudLane;
  identity: { publicKey: Buffer; secretKey: Buffer };
  config: OfflineConfig;
  profile: () => PrinterProfile | null;
  /** Keys of the LAN printers connected now. */
  lanPeers: () => string[];
  /** The LAN overlay the orders feed and the claims logs replicate on; none: every LAN peer. */
  smallCores?: SmallCoreRegistry;
  cloud: CloudSessions;
  log: JobLog;
  /** An order this printer is printing right now (its offline claim is reported once it is done). */
  isPrinting: (orderId: string) => boolean;
  clock: Clock;
  logger: StructuredLogger;
}

/**
 * Offline redemption at a printer (issue #6, edge-node/OFFLINE.md): the venue's orders feed (paid
 * orders, ahead of time), the venue's claims logs (who prints what, decided on the LAN when the cloud
 * is gone), and the reconciliation that reports offline work to the coordinator when it is back.
 */
export class OfflineRedemption extends Resource implements OfflinePath {
  readonly #o: OfflineRedemptionOptions;
  readonly selfKey: string;
  #orders: OrdersReplica | null = null;
  #claims: ClaimsLog | null = null;
  #reconciler: OfflineReconciler | null = null;
  /** Orders granted to this printer as isolated in this outage (with the unreconciled ones in the job log). */
  readonly #isolatedGranted = new Set<string>();
  #syncingOrders: Promise<void> | null = null;
  #closed = false;

  #initialProfile: PrinterProfile | null = null;

  constructor(opts: OfflineRedemptionOptions) {
    super();
    this.#o = opts;
    this.selfKey = opts.identity.publicKey.toString('hex');
  }

  get claims(): ClaimsLog | null {
    return this.#claims;
  }

  /** Opens the orders feed and the claims logs the profile names (a coordinator without them: no offline). */
  async open(profile: PrinterProfile): Promise<void> {
    this.#initialProfile = profile;
    await this.ready();
  }

  protected override async _open(): Promise<void> {
    const profile = this.#initialProfile;
    if (!profile)
      throw new AppError('offline_unavailable', 'Offline redemption opens with a profile: call open(profile).');
    const feed = profile.ordersFeed;
    if (!feed) {
      this.#o.logger.warn({}, 'the coordinator offers no orders feed: this printer cannot redeem without the cloud');
      return;
    }
    const orders = this.own(new OrdersReplica(this.#o.corestore, feed, this.#o.lane, this.#o.smallCores));
    await orders.ready();
    this.#orders = orders;
    const claims = this.own(
      new ClaimsLog({
        corestore: this.#o.corestore,
        keyPair: this.#o.identity,
        encryptionKey: Buffer.from(feed.claimsEncryptionKey, 'hex'),
        clock: this.#o.clock,
        logger: this.#o.logger,
        overlay: this.#o.smallCores,
      }),
    );
    await claims.ready();
    this.#claims = claims;
    // Closed first: the orders sync stops before the feeds it reads are closed.
    this.defer(async () => {
      this.#closed = true;
      await this.#syncingOrders;
    });
    this.#reconciler = new OfflineReconciler({
      log: this.#o.log,
      claims,
      isPrinting: this.#o.isPrinting,
      logger: this.#o.logger,
      clock: this.#o.clock,
    });
    await this.applyProfile(profile);
  }

  /** Calls `listener` whenever the venue's orders feed grows here; returns the unsubscribe. */
  onOrdersGrew(listener: () => void): () => void {
    return this.#orders?.onGrew(listener) ?? (() => {});
  }

  /**
   * Calls `listener` when another printer's offline claim reaches this one: its order's photos no
   * longer await a print here (awaitingPrint), though the feed still says `paid`. Online claims
   * reach the feed itself, and follow every redemption, so they are not reported. Claims arriving
   * within OFFLINE_CLAIM_REPORT_COALESCE_MS are reported once. Returns the unsubscribe.
   */
  onOfflineClaim(listener: () => void): () => void {
    const claims = this.#claims;
    if (!claims) return () => {};
    let pending: Timer | null = null;
    const onRecord = (seen: SeenClaimRecord) => {
      if (seen.record.t !== 'claim' || seen.record.mode === 'online' || pending) return;
      pending = this.#o.clock.setTimeout(() => {
        pending = null;
        listener();
      }, OFFLINE_CLAIM_REPORT_COALESCE_MS);
    };
    claims.on('record', onRecord);
    return () => {
      pending?.cancel();
      claims.off('record', onRecord);
    };
  }

  /**
   * The photos fans have paid for and not printed yet, among the orders this station renders ahead
   * (PreRenderAssignment: a few of the venue's stations per order): the orders feed's `paid` orders,
   * less those a printer of the venue claimed or printed while the coordinator was out of reach and
   * has not reported yet (the feed says `paid` until it does; online claims reach the feed within a
   * second, and a claim the coordinator releases puts the order back to `paid` there). Null without
   * the venue's orders feed.
   */
  async awaitingPrint(): Promise<PaidPhotos | null> {
    const awaiting = await this.#orders?.awaitingPrint();
    if (!awaiting) return null;
    const claims = this.#claims;
    const paired = this.#paired();
    const assignment = new PreRenderAssignment(paired);
    const now = this.#o.clock.now();
    // An order holding several photos is asked about once per photo: answer each order once per view.
    const answers = new Map<string, boolean>();
    const leftOut = (o: { orderId: string; paidAt: number }) => {
      let answer = answers.get(o.orderId);
      if (answer === undefined) {
        answer =
          !assignment.rendersAt(o.orderId, this.selfKey) ||
          // Every printer's offline work counts, this one's too: no `self` to leave out.
          (claims !== null &&
            unsyncedOfflineHolder({
              self: '',
              paired,
              records: claims.recordsFor(o.orderId),
              paidAt: o.paidAt,
              now,
            }) !== null);
        answers.set(o.orderId, answer);
      }
      return answer;
    };
    return { paidAt: (imageId) => awaiting.paidAt(imageId, leftOut) };
  }

  /** A new profile: new peers to follow; new orders to fetch if the LAN does not bring them. */
  async applyProfile(profile: PrinterProfile): Promise<void> {
    await this.#claims?.setPeers(profile.peers.printers.map((p) => p.id));
    const target = profile.ordersFeed?.length ?? 0;
    if (this.#orders && this.#orders.contiguousLength < target && !this.#syncingOrders) {
      this.#syncingOrders = this.#syncOrders(target).finally(() => {
        this.#syncingOrders = null;
      });
    }
  }

  /** The coordinator answered: report offline work (once each), and the isolated allowance starts over. */
  async uplinkUp(client: CoordinatorClient): Promise<void> {
    if (!this.#reconciler) return;
    const outstanding = await this.#reconciler.run(client);
    if (outstanding === 0) this.#isolatedGranted.clear();
  }

  async status(): Promise<{
    ordersKnown: number;
    unreconciled: number;
    claimLogs: number;
    maxClaimPropagationMs: number | null;
  }> {
    const stats = this.#claims?.stats();
    return {
      ordersKnown: (await this.#orders?.count()) ?? 0,
      unreconciled: this.#o.log.unreconciled().length,
      claimLogs: stats?.logs ?? 0,
      maxClaimPropagationMs: stats?.maxPropagationMs ?? null,
    };
  }

  /** The order as the venue's orders feed has it here, or null (not known here, or no feed yet). */
  async lookupOrder(orderCode: string, timeoutMs: number): Promise<OrdersFeedEntry | null> {
    return (await this.#orders?.lookup(orderCode, timeoutMs)) ?? null;
  }

  async checkOnline(orderCode: string): Promise<void> {
    const entry = await this.#orders?.lookup(orderCode, ONLINE_CHECK_LOOKUP_TIMEOUT_MS);
    if (!entry || !this.#claims) return;
    const holder = unsyncedOfflineHolder({
      self: this.selfKey,
      paired: this.#paired(),
      records: this.#claims.recordsFor(entry.orderId),
      paidAt: entry.paidAt,
      now: this.#o.clock.now(),
    });
    if (!holder) return;
    const name = this.#nameOf(holder.printerKey);
    throw new AppError(
      holder.printed ? 'order_already_printed' : 'order_claimed_elsewhere',
      holder.printed
        ? `This order was already printed at ${name} while the cloud was unreachable.`
        : `This order is being printed at ${name} (claimed while the cloud was unreachable).`,
      { printerId: holder.printerKey, printerName: name, offline: true },
    );
  }

  async claimedOnline(orderId: string, units: number): Promise<void> {
    await this.#claims?.append({ t: 'claim', orderId, mode: 'online', units }).catch((err: unknown) => {
      this.#o.logger.warn({ err, orderId }, 'could not announce the claim on the venue claims log');
    });
  }

  async finished(orderId: string): Promise<void> {
    const claims = this.#claims;
    if (!claims) return;
    // An order the coordinator granted: its `done` only words a peer's refusal ("printed" rather than
    // "being printed"), so it waits to share the next append. One claimed here without the cloud is
    // decided on the claims logs: its `done` is written at once.
    const modes = claims
      .recordsFor(orderId)
      .flatMap((r) => (r.printerKey === this.selfKey && r.record.t === 'claim' ? [r.record.mode] : []));
    if (modes.length > 0 && modes.every((mode) => mode === 'online')) {
      claims.linger({ t: 'done', orderId });
      return;
    }
    await claims.append({ t: 'done', orderId }).catch((err: unknown) => {
      this.#o.logger.warn({ err, orderId }, 'could not announce the prints on the venue claims log');
    });
  }

  async claimOffline(orderCode: string): Promise<{ job: RedeemJob; offline: OfflineClaim | null }> {
    const orders = this.#orders;
    const claims = this.#claims;
    if (!orders || !claims) {
      throw new AppError(
        'offline_unavailable',
        'The cloud cannot be reached and this printer has no list of paid orders: it cannot redeem codes until the connection is back.',
      );
    }
    const entry = await orders.lookup(orderCode);
    if (!entry) {
      throw new AppError(
        'order_not_known_offline',
        'The cloud cannot be reached and this order is not yet known here (paid moments ago, or for another venue). Try again shortly, or at another printer.',
      );
    }
    const job = this.#job(entry);
    const local = this.#o.log.get(entry.orderId);
    if (local?.closed && local.outcome === 'done') {
      throw new AppError('order_already_printed', 'This order was already printed at this printer.', {
        printerId: this.selfKey,
        printerName: this.#nameOf(this.selfKey),
      });
    }
    // Claimed here before (a retry, or printing interrupted): this printer keeps it.
    if (local && !local.closed) return { job, offline: local.offline };
    const now = this.#o.clock.now();
    const paired = this.#paired();
    this.#refuseUnless(
      offlineVerdict({ self: this.selfKey, order: entry, paired, records: claims.recordsFor(entry.orderId), now }),
    );
    const peers = this.#o.lanPeers().length;
    let mode: OfflineClaim['mode'] = 'offline';
    if (peers === 0) {
      const used = new Set([
        ...this.#isolatedGranted,
        ...this.#o.log
          .unreconciled()
          .filter((o) => o.offline?.mode === 'isolated')
          .map((o) => o.orderId),
      ]);
      const verdict = isolatedVerdict(
        { mode: this.#o.config.isolated, limit: this.#o.config.isolatedLimit },
        used.size,
      );
      if (verdict.kind === 'refuse') {
        throw new AppError(
          verdict.reason === 'isolated_refused' ? 'offline_isolated' : 'offline_isolated_limit',
          verdict.reason === 'isolated_refused'
            ? 'This printer reaches neither the cloud nor any other printer of the venue, and the operator chose not to print in that case. Please use another printer.'
            : `This printer reaches neither the cloud nor any other printer, and has printed its allowance of ${this.#o.config.isolatedLimit} orders for this outage. Please use another printer.`,
        );
      }
      mode = 'isolated';
      this.#isolatedGranted.add(entry.orderId);
    }
    const mine = await claims.append({ t: 'claim', orderId: entry.orderId, mode, units: entry.unitCount });
    await this.#o.clock.sleep(claimHoldMs(peers, this.#o.config.holdMs));
    const verdict = offlineVerdict({
      self: this.selfKey,
      order: entry,
      paired,
      records: claims.recordsFor(entry.orderId),
      now: this.#o.clock.now(),
    });
    if (verdict.kind === 'refuse') {
      // A losing claim is withdrawn, or it would block the order if the winner ever gives it up.
      await claims.append({ t: 'release', orderId: entry.orderId });
      this.#isolatedGranted.delete(entry.orderId);
      this.#refuseUnless(verdict);
    }
    this.#o.logger.info(
      { orderId: entry.orderId, mode, lanPeers: peers, claim: mine.record.hlc },
      'order claimed with no cloud',
    );
    return { job, offline: { hlc: mine.record.hlc, mode } };
  }

  protected override async _close(): Promise<void> {
    this.#closed = true;
  }

  #job(entry: OrdersFeedEntry): RedeemJob {
    const feed = this.#o.profile()?.feeds.find((f) => f.eventId === entry.eventId);
    if (!feed) {
      throw new AppError('event_feed_unavailable', `This printer does not have the feed of event ${entry.eventId}.`);
    }
    return {
      order: { id: entry.orderId, code: entry.code, eventId: entry.eventId, state: 'redeeming', items: entry.items },
      feed: {
        eventId: feed.eventId,
        blobsKey: feed.blobsKey,
        catalogKey: feed.catalogKey,
        encryptionKey: feed.encryptionKey,
      },
      units: expandPrintUnits(entry.items).map((u) => ({ ...u, printed: false, lacking: false, image: null })),
    };
  }

  #refuseUnless(verdict: OfflineVerdict): void {
    if (verdict.kind === 'proceed') return;
    const name = verdict.printerKey ? this.#nameOf(verdict.printerKey) : null;
    const details = { printerId: verdict.printerKey, printerName: name, offline: true };
    if (verdict.reason === 'already_printed')
      throw new AppError(
        'order_already_printed',
        `This order was already printed${name ? ` at ${name}` : ''}.`,
        details,
      );
    if (verdict.reason === 'being_printed')
      throw new AppError(
        'order_claimed_elsewhere',
        `This order is being printed at ${name ?? 'another printer'}.`,
        details,
      );
    throw new AppError('order_not_paid', 'This order cannot be redeemed.', details);
  }

  #paired(): Set<string> {
    return new Set([this.selfKey, ...(this.#o.profile()?.peers.printers.map((p) => p.id) ?? [])]);
  }

  #nameOf(key: string): string {
    if (key === this.selfKey) return this.#o.profile()?.printer.name ?? 'this printer';
    return this.#o.profile()?.peers.printers.find((p) => p.id === key)?.name ?? 'another printer';
  }

  /**
   * New orders come from LAN peers when one has them; the printer first in line (by a hash of its
   * key, so the venue agrees without talking) dials the cloud at once, the others after a grace.
   */
  async #syncOrders(target: number): Promise<void> {
    const orders = this.#orders;
    if (!orders) return;
    const ordersKey = orders.descriptor.key;
    const rank = (key: string) => createHash('sha256').update(key).update(ordersKey).digest('hex');
    const first = [this.selfKey, ...this.#o.lanPeers()].sort((a, b) => (rank(a) < rank(b) ? -1 : 1))[0];
    const deadline = this.#o.clock.now() + (first === this.selfKey ? 0 : ORDERS_LAN_GRACE_MS);
    while (orders.contiguousLength < target && this.#o.clock.now() < deadline && !this.#closed)
      await this.#o.clock.sleep(ORDERS_POLL_MS, this.closeSignal).catch(() => {});
    if (orders.contiguousLength >= target || this.#closed) return;
    const session = await this.#o.cloud.acquire();
    try {
      const until = this.#o.clock.now() + ORDERS_CLOUD_SYNC_TIMEOUT_MS;
      while (session.connected && orders.contiguousLength < target && this.#o.clock.now() < until && !this.#closed)
        await this.#o.clock.sleep(ORDERS_POLL_MS, this.closeSignal).catch(() => {});
    } finally {
      session.release();
    }
  }
}
