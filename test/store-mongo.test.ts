import test from 'ava';
import { find } from 'mingo';
import { type Document, MongoServerError } from 'mongodb';
import siftDefault from 'sift';
import {
  claimFilter,
  claimUpdate,
  DEFAULT_MONGO_DB_NAME,
  databaseNameFromUri,
  fulfilFilter,
  fulfilUpdate,
  isDuplicateKeyError,
  type LeaseDoc,
  leaseFilter,
  type OrderDoc,
  printFilter,
  printUpdate,
  redactUri,
  releaseFilter,
  renewFilter,
  renewUpdate,
  stripId,
  transitionFilter,
} from '../coordinator/store/mongo-queries.ts';
import { MongoStore } from '../coordinator/store/mongo-store.ts';
import {
  canRelease,
  claimBlocker,
  decideConfirm,
  holdsClaim,
  transitionFields,
  withClaim,
  withPrinted,
  withReleased,
  withRenewedClaim,
} from '../coordinator/store/order-rules.ts';
import type { OrderRecord } from '../coordinator/store/records.ts';
import { AppError } from '../shared/errors.ts';
import { fromStates, ORDER_STATES, type OrderEvent } from '../shared/policy/order-state.ts';
import { applyUpdate } from './fixtures/mongo-test-server/documents.ts';
import { CLAIM_TTL_MS, orderRecord, T0 } from './fixtures/store-records.ts';

const UNREACHABLE_URI = 'mongodb://ops:s3cret@127.0.0.1:1/?serverSelectionTimeoutMS=500';
const UNREACHABLE_DEADLINE_MS = 5_000;

// The contract suite, the multi-client claim race, the multi-coordinator run and the 40 MB media
// round trip run against a MongoDB server in test/mongo/ (npm run test:mongo), not here.

test('mongodb: ready() against an unreachable server rejects quickly with a clear error', async (t) => {
  const store = new MongoStore({ uri: UNREACHABLE_URI });
  t.teardown(() => store.close());
  const started = Date.now();
  const err = await t.throwsAsync(store.ready(), { instanceOf: AppError });
  t.true(Date.now() - started < UNREACHABLE_DEADLINE_MS, `took ${Date.now() - started} ms`);
  t.is(err?.code, 'store_unavailable');
  t.is(err?.status, 503);
  t.regex(err?.message ?? '', /127\.0\.0\.1:1/);
  t.regex(err?.message ?? '', new RegExp(DEFAULT_MONGO_DB_NAME));
  t.false((err?.message ?? '').includes('s3cret'), 'the password is not in the message');
  const notReady = await t.throwsAsync(store.getOrder('o1'), { instanceOf: AppError });
  t.is(notReady?.code, 'store_not_ready');
});

test('mongodb helpers: database name from the URI, redaction, duplicate keys', (t) => {
  t.is(databaseNameFromUri('mongodb://127.0.0.1:27017'), DEFAULT_MONGO_DB_NAME);
  t.is(databaseNameFromUri('mongodb://127.0.0.1:27017/'), DEFAULT_MONGO_DB_NAME);
  t.is(databaseNameFromUri('mongodb://127.0.0.1:27017/?replicaSet=rs0'), DEFAULT_MONGO_DB_NAME);
  t.is(databaseNameFromUri('mongodb://u:p@h1:1,h2:2/mesh?replicaSet=rs0'), 'mesh');
  t.is(databaseNameFromUri('mongodb+srv://u:p%2F@cluster.example/prod_db'), 'prod_db');
  t.is(redactUri('mongodb://ops:s3cret@h:1/db'), 'mongodb://ops:***@h:1/db');
  t.is(redactUri('mongodb://h:1/db'), 'mongodb://h:1/db');
  t.true(isDuplicateKeyError(new MongoServerError({ message: 'E11000 duplicate key error', code: 11000 })));
  t.false(isDuplicateKeyError(new MongoServerError({ message: 'other', code: 112 })));
  t.false(isDuplicateKeyError(new Error('E11000')));
  t.deepEqual(stripId({ _id: 'x', id: 'x', n: 1 }), { id: 'x', n: 1 });
});

/**
 * The MongoDB adapter encodes the port's rules (order-rules.ts, which the SQLite adapter applies
 * directly) as filters and updates. They run here on every combination of order state, claim and
 * printed units: a filter must match exactly when the rule allows the step, and the update must
 * produce exactly the order the rule produces. Two query implementations decide each match and must
 * agree: mingo (inside the MongoDB test server) and sift, with `$expr` (which sift lacks) evaluated
 * by hand. Updates run through the test server's update code, which applies MongoDB's merge rule
 * for pipeline `$set` and PathNotViable where mingo differs.
 */
const NOW = T0 + 10_000;
const ME = 'pA';

// sift's types declare an ES default export; at run time the CommonJS module itself is the function.
const sift = siftDefault as unknown as (query: Document) => (doc: Document) => boolean;

/** `$expr` comparisons of two numeric field paths or numbers, as the adapter writes them. */
function exprHolds(expr: Document, doc: Document): boolean {
  const [op, args] = Object.entries(expr)[0] ?? [];
  const value = (a: unknown) => (typeof a === 'string' && a.startsWith('$') ? doc[a.slice(1)] : a);
  const [a, b] = (args as unknown[]).map(value) as [number, number];
  if (op === '$gte') return a >= b;
  if (op === '$gt') return a > b;
  if (op === '$lte') return a <= b;
  if (op === '$lt') return a < b;
  throw new Error(`the hand-written $expr oracle does not know ${op}`);
}

function independentMatch(doc: Document, filter: Document): boolean {
  const { $expr, ...rest } = filter;
  return sift(rest)(doc) && ($expr === undefined || exprHolds($expr as Document, doc));
}

function simulate(doc: OrderDoc | LeaseDoc, filter: Document, update: Document | Document[]): Document | null {
  const matched = find([structuredClone(doc)], filter).all().length === 1;
  if (matched !== independentMatch(doc, filter)) {
    throw new Error(`mingo and sift disagree on ${JSON.stringify(filter)} for ${JSON.stringify(doc)}`);
  }
  return matched ? applyUpdate(structuredClone(doc), update, filter) : null;
}

function orderCases(): OrderRecord[] {
  const claims = [
    null,
    { printerId: ME, claimedAt: T0, expiresAt: NOW + 1 },
    { printerId: ME, claimedAt: T0, expiresAt: NOW - 1 },
    { printerId: 'pB', claimedAt: T0, expiresAt: NOW + 1 },
    { printerId: 'pB', claimedAt: T0, expiresAt: NOW },
    { printerId: 'pB', claimedAt: T0, expiresAt: NOW - 1 },
  ];
  const printedSets: Array<OrderRecord['printed']> = [
    {},
    { 0: { printerId: ME, at: T0 } },
    { 1: { printerId: 'pB', at: T0 } },
    { 0: { printerId: ME, at: T0 }, 2: { printerId: 'pB', at: T0 } },
    { 0: { printerId: ME, at: T0 }, 1: { printerId: ME, at: T0 }, 2: { printerId: 'pB', at: T0 } },
  ];
  const cases: OrderRecord[] = [];
  for (const state of ORDER_STATES) {
    for (const claim of claims) {
      for (const printed of printedSets) {
        const id = `o${cases.length}`;
        cases.push(orderRecord(id, { state, claim, printed, printedCount: Object.keys(printed).length }));
      }
    }
  }
  return cases;
}

const asDoc = (order: OrderRecord): OrderDoc => ({ ...structuredClone(order), _id: order.id });

test('mongodb filters: claim matches exactly when claimBlocker allows, and updates like withClaim', (t) => {
  for (const order of orderCases()) {
    const label = JSON.stringify({ state: order.state, claim: order.claim });
    const after = simulate(asDoc(order), claimFilter(order.id, ME, NOW), claimUpdate(ME, NOW, CLAIM_TTL_MS));
    t.is(after !== null, claimBlocker(order, ME, NOW) === null, label);
    if (after) t.deepEqual(stripId(after as OrderDoc), withClaim(order, ME, NOW, CLAIM_TTL_MS), label);
  }
  const sneaky = orderRecord('o1');
  const after = simulate(asDoc(sneaky), claimFilter('o1', '$state', NOW), claimUpdate('$state', NOW, 1));
  t.is((after as OrderDoc | null)?.claim?.printerId, '$state', "an id starting with '$' stays a literal");
});

test('mongodb filters: print matches exactly when decideConfirm says print, then fulfils like withPrinted', (t) => {
  for (const order of orderCases()) {
    for (const unit of [0, 1, 2, 3, 4]) {
      const label = `${JSON.stringify({ state: order.state, claim: order.claim, printed: order.printed })} unit ${unit}`;
      const printed = simulate(asDoc(order), printFilter(order.id, ME, unit), printUpdate(ME, unit, NOW, CLAIM_TTL_MS));
      t.is(printed !== null, decideConfirm(order, ME, unit).kind === 'print', label);
      if (!printed) continue;
      const fulfilled = simulate(printed as OrderDoc, fulfilFilter(order.id), fulfilUpdate(NOW)) ?? printed;
      t.deepEqual(stripId(fulfilled as OrderDoc), withPrinted(order, ME, unit, NOW, CLAIM_TTL_MS), label);
    }
  }
});

test('mongodb filters: renew, release and transitions follow the rules', (t) => {
  for (const order of orderCases()) {
    const label = JSON.stringify({ state: order.state, claim: order.claim, printedCount: order.printedCount });
    const renewed = simulate(asDoc(order), renewFilter(order.id, ME), renewUpdate(NOW, CLAIM_TTL_MS));
    t.is(renewed !== null, holdsClaim(order, ME), label);
    if (renewed) t.deepEqual(stripId(renewed as OrderDoc), withRenewedClaim(order, ME, NOW, CLAIM_TTL_MS), label);

    for (const expected of [null, ME, 'pB']) {
      const released = simulate(asDoc(order), releaseFilter(order.id, expected), {
        $set: { state: 'paid', claim: null },
      });
      t.is(released !== null, canRelease(order, expected), `${label} release ${expected}`);
      if (released) t.deepEqual(stripId(released as OrderDoc), withReleased(order), label);
    }

    const events: OrderEvent[] = ['payment_succeeded', 'payment_failed', 'payment_cancelled', 'claimed', 'released'];
    for (const event of [...events, 'all_printed' as const]) {
      const fields = transitionFields(event, { paidAt: NOW });
      const moved = simulate(asDoc(order), transitionFilter(order.id, event), { $set: fields });
      t.is(moved !== null, fromStates(event).includes(order.state), `${label} ${event}`);
      if (moved) t.deepEqual(stripId(moved as OrderDoc), { ...order, ...fields });
    }
  }
});

test('mongodb filters: a lease matches its holder, or anyone once expired strictly before now', (t) => {
  for (const expiresAt of [NOW - 1, NOW, NOW + 1]) {
    const lease: LeaseDoc = { _id: 'feed', holder: 'c1', expiresAt };
    t.truthy(simulate(lease, leaseFilter('feed', 'c1', NOW), { $set: { expiresAt: NOW + 5 } }));
    t.is(simulate(lease, leaseFilter('feed', 'c2', NOW), { $set: { holder: 'c2' } }) !== null, expiresAt < NOW);
    t.is(simulate(lease, leaseFilter('other', 'c1', NOW), { $set: { holder: 'c1' } }), null);
  }
});
