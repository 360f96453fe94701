import { PRINTER_CLOCK_SKEW_MS } from '../protocol/printer-auth.ts';
import { compareHlc, type HlcStamp } from './hlc.ts';
import type { OrderState } from './order-state.ts';

/**
 * Who may print an order while the venue has no cloud (issue #6). Pure, shared by the edge node and
 * its tests; docs in edge-node/OFFLINE.md.
 *
 * Every printer appends what it does with an order to its own claims log (one Hypercore per printer,
 * signed with its pairing key, replicated to every paired printer of the venue):
 *   claim    it wants to print the order (online: the coordinator granted it; offline: on its own)
 *   done     it printed every unit
 *   release  it gave the order up (nothing more will be printed there)
 *   synced   the coordinator now knows about its offline claim (the coordinator decides from then on)
 * An offline printer appends its claim, waits OFFLINE_CLAIM_HOLD_MS (longer than the measured LAN
 * propagation) while reading its peers' logs, and prints only if its claim is the winner: online
 * claims first, then the smallest (HLC stamp, printer key). Two printers that see the same claims
 * pick the same winner, so a double print needs a competing claim that arrived after the hold.
 */

/** How long an offline claim waits for competing claims before printing: the double-print window bound. */
export const OFFLINE_CLAIM_HOLD_MS = 1_500;
/**
 * A claim stamped before the order was paid, or in the future, by more than this is not a claim
 * anyone could have made (a forged or replayed record): it is ignored. Same bound as the printer API
 * signatures: a printer whose clock is off by more cannot even talk to the coordinator.
 */
export const CLAIM_CLOCK_SKEW_MS = PRINTER_CLOCK_SKEW_MS;

export type ClaimMode = 'online' | 'offline' | 'isolated';

export type ClaimLogRecord =
  | { t: 'claim'; orderId: string; hlc: HlcStamp; mode: ClaimMode; units: number }
  | { t: 'done' | 'release' | 'synced'; orderId: string; hlc: HlcStamp };

/** A record as a printer read it from a claims log: whose log, and where in it. */
export interface SeenClaimRecord {
  printerKey: string;
  seq: number;
  record: ClaimLogRecord;
}

/** What the venue's orders feed says of the order. */
export interface OrderSnapshot {
  state: OrderState;
  claimedBy: string | null;
  paidAt: number;
}

export type RefusalReason = 'already_printed' | 'being_printed' | 'not_redeemable';

export type OfflineVerdict = { kind: 'proceed' } | { kind: 'refuse'; reason: RefusalReason; printerKey: string | null };

type PrinterState =
  | { kind: 'claimed'; hlc: HlcStamp; mode: ClaimMode; synced: boolean }
  | { kind: 'done'; offline: boolean; synced: boolean };

/** Records a printer of the venue could really have written for this order; the rest is ignored. */
export function credibleRecords(
  records: readonly SeenClaimRecord[],
  paired: ReadonlySet<string>,
  paidAt: number,
  now: number,
  skewMs = CLAIM_CLOCK_SKEW_MS,
): SeenClaimRecord[] {
  return records.filter(
    (r) => paired.has(r.printerKey) && r.record.hlc.wall >= paidAt - skewMs && r.record.hlc.wall <= now + skewMs,
  );
}

/** Each printer's standing on the order, from its log in append order. */
function standings(records: readonly SeenClaimRecord[]): Map<string, PrinterState> {
  const out = new Map<string, PrinterState>();
  const ordered = [...records].sort((a, b) =>
    a.printerKey === b.printerKey ? a.seq - b.seq : a.printerKey < b.printerKey ? -1 : 1,
  );
  for (const { printerKey, record } of ordered) {
    const now = out.get(printerKey);
    if (now?.kind === 'done') {
      if (record.t === 'synced') out.set(printerKey, { ...now, synced: true });
      // A claim or release after "printed" changes nothing: the prints exist.
      continue;
    }
    switch (record.t) {
      case 'claim':
        // A printer's first live claim counts; repeating it (a retry, a replay) does not move it later or earlier.
        if (now?.kind !== 'claimed')
          out.set(printerKey, { kind: 'claimed', hlc: record.hlc, mode: record.mode, synced: false });
        break;
      case 'done':
        out.set(printerKey, {
          kind: 'done',
          offline: now?.kind === 'claimed' ? now.mode !== 'online' && !now.synced : true,
          synced: false,
        });
        break;
      case 'release':
        out.delete(printerKey);
        break;
      case 'synced':
        if (now?.kind === 'claimed') out.set(printerKey, { ...now, synced: true });
        break;
    }
  }
  return out;
}

function isEarlier(a: { hlc: HlcStamp; mode: ClaimMode; key: string }, b: typeof a): boolean {
  const online = (m: ClaimMode) => (m === 'online' ? 0 : 1);
  if (online(a.mode) !== online(b.mode)) return online(a.mode) < online(b.mode);
  const byStamp = compareHlc(a.hlc, b.hlc);
  return byStamp !== 0 ? byStamp < 0 : a.key < b.key;
}

/** The claim that wins the order among the printers that hold one, or null. */
export function claimWinner(records: readonly SeenClaimRecord[]): { printerKey: string; mode: ClaimMode } | null {
  let best: { hlc: HlcStamp; mode: ClaimMode; key: string } | null = null;
  for (const [key, state] of standings(records)) {
    if (state.kind !== 'claimed') continue;
    const candidate = { hlc: state.hlc, mode: state.mode, key };
    if (best === null || isEarlier(candidate, best)) best = candidate;
  }
  return best === null ? null : { printerKey: best.key, mode: best.mode };
}

/**
 * May `self` print the order with no cloud? Asked before appending its claim (to refuse at once what
 * is known to be taken) and again after the hold, with its own claim among `records`.
 */
export function offlineVerdict(input: {
  self: string;
  order: OrderSnapshot;
  paired: ReadonlySet<string>;
  records: readonly SeenClaimRecord[];
  now: number;
  skewMs?: number;
}): OfflineVerdict {
  const { self, order } = input;
  if (order.state === 'fulfilled') return { kind: 'refuse', reason: 'already_printed', printerKey: order.claimedBy };
  // The claims logs may be ahead of the feed (the feed said "being printed", the printer says "done").
  const credible = credibleRecords(input.records, input.paired, order.paidAt, input.now, input.skewMs);
  for (const [key, state] of standings(credible)) {
    if (key !== self && state.kind === 'done') return { kind: 'refuse', reason: 'already_printed', printerKey: key };
  }
  if (order.state === 'redeeming' && order.claimedBy !== self)
    return { kind: 'refuse', reason: 'being_printed', printerKey: order.claimedBy };
  if (order.state !== 'paid' && order.state !== 'redeeming')
    return { kind: 'refuse', reason: 'not_redeemable', printerKey: null };
  const winner = claimWinner(credible);
  if (winner === null || winner.printerKey === self) return { kind: 'proceed' };
  return { kind: 'refuse', reason: 'being_printed', printerKey: winner.printerKey };
}

/**
 * For a printer that can reach the coordinator: another printer's offline work on the order that the
 * coordinator does not know yet (a claim or prints not synced). The coordinator would grant the
 * order, so the online printer must refuse it itself.
 */
export function unsyncedOfflineHolder(input: {
  self: string;
  paired: ReadonlySet<string>;
  records: readonly SeenClaimRecord[];
  paidAt: number;
  now: number;
}): { printerKey: string; printed: boolean } | null {
  const credible = credibleRecords(input.records, input.paired, input.paidAt, input.now);
  for (const [key, state] of standings(credible)) {
    if (key === input.self || state.synced) continue;
    if (state.kind === 'done' && state.offline) return { printerKey: key, printed: true };
    if (state.kind === 'claimed' && state.mode !== 'online') return { printerKey: key, printed: false };
  }
  return null;
}

/** How long an offline claim holds: no LAN peer means nobody to hear from. */
export function claimHoldMs(lanPeersConnected: number, holdMs = OFFLINE_CLAIM_HOLD_MS): number {
  return lanPeersConnected > 0 ? holdMs : 0;
}

/** The operator's choice for a printer that reaches neither the cloud nor any LAN peer. */
export interface IsolatedPolicy {
  mode: 'refuse' | 'allow';
  /** With 'allow': at most this many orders per outage (until the uplink returns and reconciles). */
  limit: number;
}

export type IsolatedVerdict = { kind: 'proceed' } | { kind: 'refuse'; reason: 'isolated_refused' | 'isolated_limit' };

export function isolatedVerdict(policy: IsolatedPolicy, usedThisOutage: number): IsolatedVerdict {
  if (policy.mode === 'refuse') return { kind: 'refuse', reason: 'isolated_refused' };
  return usedThisOutage < policy.limit ? { kind: 'proceed' } : { kind: 'refuse', reason: 'isolated_limit' };
}

/**
 * Whether a failed coordinator call means "no cloud" (go offline) rather than an answer: no
 * connection or no reply in time, or a gateway in front of the coordinator saying it is unreachable.
 */
export function isUplinkFailure(err: { status?: number; code?: string }): boolean {
  return err.code === 'coordinator_unreachable' || err.status === 502 || err.status === 504;
}
