import { type Document, type Filter, MongoServerError, type UpdateFilter } from 'mongodb';
import { fromStates, type OrderEvent } from '../../shared/policy/order-state.ts';
import { CLAIMABLE_STATES } from './order-rules.ts';
import type { OrderRecord } from './records.ts';

/**
 * The MongoDB adapter's filters and updates, as pure builders so their conditions can be checked
 * without a server. Each one is the database-side form of a rule in order-rules.ts: the condition
 * sits in the filter, so a single findOneAndUpdate decides atomically across coordinator processes.
 */

export const DEFAULT_MONGO_DB_NAME = 'venue_print_mesh';

/** Stored documents carry the record id as `_id` too; `_id` is stripped before returning. */
export type StoredDoc<T> = T & { _id: string };
export type OrderDoc = StoredDoc<OrderRecord>;

/** The database named in the URI's path (mongodb://host/name?opts), or the default. */
export function databaseNameFromUri(uri: string): string {
  const rest = uri.replace(/^mongodb(\+srv)?:\/\//, '');
  const slash = rest.indexOf('/');
  if (slash === -1) return DEFAULT_MONGO_DB_NAME;
  const name = decodeURIComponent(rest.slice(slash + 1).split('?')[0] ?? '');
  return name === '' ? DEFAULT_MONGO_DB_NAME : name;
}

/** The URI without its password, for error messages and logs. */
export function redactUri(uri: string): string {
  return uri.replace(/^(mongodb(?:\+srv)?:\/\/)([^@/]*)@/, (_all, scheme: string, auth: string) => {
    const user = auth.split(':')[0] ?? '';
    return `${scheme}${user}:***@`;
  });
}

export function isDuplicateKeyError(err: unknown): boolean {
  return err instanceof MongoServerError && err.code === 11000;
}

/** Strings inside an aggregation-pipeline update are field paths when they start with '$'. */
function literal(value: string): { $literal: string } {
  return { $literal: value };
}

export function transitionFilter(id: string, event: OrderEvent): Filter<OrderDoc> {
  return { _id: id, state: { $in: [...fromStates(event)] } };
}

/** Mirrors claimBlocker: claimable state, and the claim is free, ours, or expired strictly before now. */
export function claimFilter(id: string, printerId: string, now: number): Filter<OrderDoc> {
  return {
    _id: id,
    state: { $in: [...CLAIMABLE_STATES] },
    $or: [{ claim: null }, { 'claim.printerId': printerId }, { 'claim.expiresAt': { $lt: now } }],
  };
}

/** Mirrors withClaim: a pipeline update, so a renewal by the holder keeps the stored claimedAt. */
export function claimUpdate(printerId: string, now: number, claimTtlMs: number): Document[] {
  return [
    {
      $set: {
        state: literal('redeeming'),
        claim: {
          printerId: literal(printerId),
          claimedAt: { $cond: [{ $eq: ['$claim.printerId', literal(printerId)] }, '$claim.claimedAt', now] },
          expiresAt: now + claimTtlMs,
        },
      },
    },
  ];
}

function printedPath(unit: number): string {
  return `printed.${unit}`;
}

/** Mirrors decideConfirm's 'print': the holder of a redeeming order, a valid unit not yet printed. */
export function printFilter(id: string, printerId: string, unit: number): Filter<OrderDoc> {
  return {
    _id: id,
    state: 'redeeming',
    'claim.printerId': printerId,
    unitCount: { $gt: unit },
    [printedPath(unit)]: { $exists: false },
  };
}

/** Mirrors withPrinted (fulfilment is a second conditional update, fulfilFilter). */
export function printUpdate(printerId: string, unit: number, now: number, claimTtlMs: number): UpdateFilter<OrderDoc> {
  return {
    $set: { [printedPath(unit)]: { printerId, at: now } },
    $inc: { printedCount: 1 },
    $max: { 'claim.expiresAt': now + claimTtlMs },
  };
}

/** Mirrors withRenewedClaim. */
export function renewFilter(id: string, printerId: string): Filter<OrderDoc> {
  return { _id: id, state: 'redeeming', 'claim.printerId': printerId };
}

export function renewUpdate(now: number, claimTtlMs: number): UpdateFilter<OrderDoc> {
  return { $max: { 'claim.expiresAt': now + claimTtlMs } };
}

/** A redeeming order with every unit printed; matched once, by whichever confirmation gets there first. */
export function fulfilFilter(id: string): Filter<OrderDoc> {
  return { _id: id, state: 'redeeming', $expr: { $gte: ['$printedCount', '$unitCount'] } };
}

export function fulfilUpdate(now: number): UpdateFilter<OrderDoc> {
  return { $set: { state: 'fulfilled', fulfilledAt: now } };
}

/** Mirrors canRelease: never sends a fully printed order back to 'paid'. */
export function releaseFilter(id: string, expectedPrinterId: string | null): Filter<OrderDoc> {
  const filter: Filter<OrderDoc> = {
    _id: id,
    state: 'redeeming',
    $expr: { $lt: ['$printedCount', '$unitCount'] },
  };
  if (expectedPrinterId !== null) filter['claim.printerId'] = expectedPrinterId;
  return filter;
}

export interface LeaseDoc {
  _id: string;
  holder: string;
  expiresAt: number;
}

/** A lease can be written by its holder, or by anyone once it expired strictly before now. */
export function leaseFilter(name: string, holder: string, now: number): Filter<LeaseDoc> {
  return { _id: name, $or: [{ holder }, { expiresAt: { $lt: now } }] };
}

/** One document per (printer, event); a fixed _id lets a replace-upsert find it without a race on a second key. */
export function holdingsId(printerId: string, eventId: string): string {
  return JSON.stringify([printerId, eventId]);
}

/** Removes `_id` (the records use `id`, or their own key). */
export function stripId<T>(doc: StoredDoc<T> | (T & { _id?: unknown })): T {
  const { _id: _ignored, ...record } = doc;
  return record as T;
}
