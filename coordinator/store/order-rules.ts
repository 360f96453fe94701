import { fromStates, type OrderEvent, type OrderState, targetState } from '../../shared/policy/order-state.ts';
import type { RedemptionClaim } from './port.ts';
import type { OrderRecord } from './records.ts';

/**
 * The claim and print rules of the store port, as pure functions. The SQLite adapter applies them
 * inside one IMMEDIATE transaction; the MongoDB adapter encodes the same rules in update filters and
 * uses these functions to explain (or retry) an update whose filter did not match, so both adapters
 * answer the same outcome for the same order.
 */

export const CLAIMABLE_STATES: readonly OrderState[] = fromStates('claimed');

/** Why `printerId` cannot claim `order` at `now`, or null when it can. */
export function claimBlocker(
  order: OrderRecord,
  printerId: string,
  now: number,
): 'not_claimable' | 'held_by_other' | null {
  if (!CLAIMABLE_STATES.includes(order.state)) return 'not_claimable';
  const claim = order.claim;
  // A claim stays with its holder up to and including expiresAt; strictly after it, anyone may take it.
  if (claim && claim.printerId !== printerId && claim.expiresAt >= now) return 'held_by_other';
  return null;
}

/** The order after `printerId` claimed it. A renewal by the holder keeps the original claimedAt. */
export function withClaim(order: OrderRecord, printerId: string, now: number, claimTtlMs: number): OrderRecord {
  const claimedAt = order.claim?.printerId === printerId ? order.claim.claimedAt : now;
  return {
    ...order,
    state: targetState('claimed'),
    claim: { printerId, claimedAt, expiresAt: now + claimTtlMs },
  };
}

/** The claim after a claim by `printerId` is the one it held before (renewed, not newly taken). */
export function isRenewal(before: OrderRecord, after: OrderRecord, printerId: string): boolean {
  return (
    before.claim !== null &&
    before.claim.printerId === printerId &&
    after.claim !== null &&
    after.claim.printerId === printerId &&
    after.claim.claimedAt === before.claim.claimedAt
  );
}

export function isValidUnit(order: Pick<OrderRecord, 'unitCount'>, unit: number): boolean {
  return Number.isInteger(unit) && unit >= 0 && unit < order.unitCount;
}

export function holdsClaim(order: OrderRecord, printerId: string): boolean {
  return order.state === 'redeeming' && order.claim?.printerId === printerId;
}

export type ConfirmDecision =
  /** Record the unit as printed now. */
  | { kind: 'print' }
  /** Already recorded: answer 'confirmed' without recording anything new. */
  | { kind: 'repeat' }
  | { kind: 'refuse'; outcome: 'bad_unit' | 'not_holder' };

export function decideConfirm(order: OrderRecord, printerId: string, unit: number): ConfirmDecision {
  if (!isValidUnit(order, unit)) return { kind: 'refuse', outcome: 'bad_unit' };
  const done = order.printed[String(unit)];
  // A printer that lost its reply retries; it must not be told "not_holder" for work it did, even
  // after the order was fulfilled or the claim moved on.
  if (done?.printerId === printerId) return { kind: 'repeat' };
  if (!holdsClaim(order, printerId)) return { kind: 'refuse', outcome: 'not_holder' };
  // Printed by an earlier holder whose claim expired: already counted.
  if (done) return { kind: 'repeat' };
  return { kind: 'print' };
}

/** The order after the claim holder printed `unit` (decideConfirm said 'print'). */
export function withPrinted(
  order: OrderRecord,
  printerId: string,
  unit: number,
  now: number,
  claimTtlMs: number,
): OrderRecord {
  const printedCount = order.printedCount + 1;
  const fulfilled = printedCount >= order.unitCount;
  return {
    ...order,
    printed: { ...order.printed, [String(unit)]: { printerId, at: now } },
    printedCount,
    claim: order.claim ? { ...order.claim, expiresAt: Math.max(order.claim.expiresAt, now + claimTtlMs) } : null,
    state: fulfilled ? targetState('all_printed') : order.state,
    fulfilledAt: fulfilled ? now : order.fulfilledAt,
  };
}

/** A repeat confirmation by the current holder still proves it is alive: renew its claim. */
export function withRenewedClaim(order: OrderRecord, printerId: string, now: number, claimTtlMs: number): OrderRecord {
  if (!holdsClaim(order, printerId) || !order.claim) return order;
  return { ...order, claim: { ...order.claim, expiresAt: Math.max(order.claim.expiresAt, now + claimTtlMs) } };
}

/**
 * Whether a claim can be released. A fully printed order is never sent back to 'paid': it is (or is
 * about to be) fulfilled.
 */
export function canRelease(order: OrderRecord, expectedPrinterId: string | null): boolean {
  if (order.state !== 'redeeming' || order.printedCount >= order.unitCount) return false;
  return expectedPrinterId === null || order.claim?.printerId === expectedPrinterId;
}

export function withReleased(order: OrderRecord): OrderRecord {
  return { ...order, state: targetState('released'), claim: null };
}

export type TransitionPatch = Partial<Pick<OrderRecord, 'paidAt' | 'paymentSessionId'>>;

/**
 * The fields a state event sets. Only the whitelisted patch fields pass, so a caller cannot smuggle
 * other fields into the update. 'released' drops the claim, as releaseClaim does, so a released order
 * is never 'paid' with a live claim that would block the next printer.
 */
export function transitionFields(event: OrderEvent, patch: TransitionPatch | undefined): Partial<OrderRecord> {
  const fields: Partial<OrderRecord> = { state: targetState(event) };
  if (patch?.paidAt !== undefined) fields.paidAt = patch.paidAt;
  if (patch?.paymentSessionId !== undefined) fields.paymentSessionId = patch.paymentSessionId;
  if (event === 'released') fields.claim = null;
  return fields;
}

/** A claim that puts the order in the orders feed: new (not a renewal) and of a paid order. */
export function claimQueuesFeed(claim: RedemptionClaim): claim is Extract<RedemptionClaim, { outcome: 'claimed' }> {
  return claim.outcome === 'claimed' && !claim.renewed && claim.order.paidAt !== null;
}
