import { randomBytes } from 'node:crypto';
import test from 'ava';
import { updateOne } from 'mingo';
import { type Document, MongoClient, MongoServerError } from 'mongodb';
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
import { FakeMongoServer } from './fixtures/fake-mongo-server.ts';
import type { MakeStore } from './fixtures/store-harness.ts';
import { CLAIM_TTL_MS, orderRecord, T0 } from './fixtures/store-records.ts';
import { storeContract } from './store-contract.ts';

const MONGODB_URI = process.env.MONGODB_URI;
const UNREACHABLE_URI = 'mongodb://ops:s3cret@127.0.0.1:1/?serverSelectionTimeoutMS=500';
const UNREACHABLE_DEADLINE_MS = 5_000;

/** A fresh random database per store; dropped in cleanup. */
function mongoStores(uri: () => string): MakeStore {
  return async () => {
    const dbName = `vpm_test_${randomBytes(6).toString('hex')}`;
    const store = new MongoStore({ uri: uri(), dbName });
    const cleanup = async () => {
      await store.close();
      const admin = new MongoClient(uri());
      try {
        await admin.db(dbName).dropDatabase();
      } finally {
        await admin.close();
      }
    };
    try {
      await store.ready();
    } catch (err) {
      await cleanup();
      throw err;
    }
    return { store, cleanup };
  };
}

/** Two MongoClients (as two coordinator processes have) on one database race claims on one order. */
function twoClientsClaimOnce(name: string, uri: () => string): void {
  test(`${name}: two clients on one database claim exactly once`, async (t) => {
    const dbName = `vpm_test_${randomBytes(6).toString('hex')}`;
    const stores = [new MongoStore({ uri: uri(), dbName }), new MongoStore({ uri: uri(), dbName })];
    t.teardown(async () => {
      for (const store of stores) await store.close();
      const admin = new MongoClient(uri());
      await admin.db(dbName).dropDatabase();
      await admin.close();
    });
    for (const store of stores) await store.ready();
    await stores[0]!.insertOrder(orderRecord('o1'));
    const calls = Array.from({ length: 100 }, (_, i) => ({ store: stores[i % 2]!, printerId: `p${i % 7}` }));
    const results = await Promise.all(calls.map((c) => c.store.claimOrder('o1', c.printerId, T0, CLAIM_TTL_MS)));
    const winners = new Set(calls.filter((_, i) => results[i]!.outcome === 'claimed').map((c) => c.printerId));
    t.is(winners.size, 1);
    t.is(
      results.filter((r) => r.outcome === 'held_by_other').length,
      calls.filter((c) => !winners.has(c.printerId)).length,
    );
  });
}

if (MONGODB_URI) {
  storeContract(
    'mongodb',
    mongoStores(() => MONGODB_URI),
  );
  twoClientsClaimOnce('mongodb', () => MONGODB_URI);
} else {
  console.log(
    'MongoDB contract suite NOT run against a real server: set MONGODB_URI=mongodb://127.0.0.1:27017 to run it ' +
      '(no MongoDB server can be installed on this machine). It runs below against an in-process fake wire server.',
  );
}

/**
 * The same contract through the real driver against test/fixtures/fake-mongo-server.ts (loopback),
 * so the adapter's driver calls, GridFS use and duplicate-key handling run even without MongoDB.
 */
let fake: FakeMongoServer | null = null;
let fakeUri = '';
test.before(async () => {
  fake = new FakeMongoServer();
  fakeUri = await fake.start();
});
test.after.always(async () => {
  await fake?.stop();
});
storeContract(
  'mongodb driver on fake server',
  mongoStores(() => fakeUri),
);

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
 * directly) as filters and updates. mingo, an independent implementation of MongoDB's query and
 * update language, runs them here on every combination of order state, claim and printed units:
 * a filter must match exactly when the rule allows the step, and the update must produce exactly
 * the order the rule produces.
 */
const NOW = T0 + 10_000;
const ME = 'pA';

function simulate(doc: OrderDoc | LeaseDoc, filter: Document, update: Document | Document[]): Document | null {
  const docs = [structuredClone(doc)];
  // mingo's types are narrower than the driver's Filter/UpdateFilter; both are MongoDB query language.
  const result = updateOne(docs as Document[], filter, update as Parameters<typeof updateOne>[2]);
  return result.matchedCount === 1 ? docs[0]! : null;
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
