import test from 'ava';
import { type Document, MongoClient } from 'mongodb';
import { MongoStore } from '../../coordinator/store/mongo-store.ts';
import {
  freshDbName,
  identifyServer,
  mongoStores,
  type ServerIdentity,
  testServerStats,
  whenMongo,
} from '../fixtures/mongo-target.ts';
import { CLAIM_TTL_MS, orderRecord, T0 } from '../fixtures/store-records.ts';
import { storeContract } from '../store-contract.ts';
import { exerciseStore } from './workload.ts';

const CLIENTS = 10;
const CONCURRENT_CLAIMS = 200;

whenMongo('MongoDB store contract', (uri) => {
  let server: ServerIdentity;
  test.before(async () => {
    server = await identifyServer(uri);
    console.log(`MongoDB store contract: running against ${server.description}`);
  });

  test('the suite names the server it runs against', (t) => {
    t.log(server.description);
    t.regex(server.version, /^\d+\./);
    if (server.testServer) t.regex(server.testServer, /test server/);
  });

  storeContract('mongodb', mongoStores(uri));

  /** Ten MongoClients (as ten coordinator processes have) on one database race claims on one order. */
  test(`mongodb: ${CLIENTS} clients on one database claim exactly once (${CONCURRENT_CLAIMS} concurrent claims)`, async (t) => {
    const dbName = freshDbName();
    const stores = Array.from({ length: CLIENTS }, () => new MongoStore({ uri, dbName }));
    const admin = new MongoClient(uri);
    t.teardown(async () => {
      for (const store of stores) await store.close();
      await admin.db(dbName).dropDatabase();
      await admin.close();
    });
    for (const store of stores) await store.ready();
    await stores[0]!.insertOrder(orderRecord('o1'));
    const before = server.testServer ? await testServerStats(admin) : null;
    const calls = Array.from({ length: CONCURRENT_CLAIMS }, (_, i) => ({
      store: stores[i % CLIENTS]!,
      printerId: `p${i % 7}`,
    }));
    const results = await Promise.all(calls.map((c) => c.store.claimOrder('o1', c.printerId, T0, CLAIM_TTL_MS)));
    const winners = new Set(calls.filter((_, i) => results[i]!.outcome === 'claimed').map((c) => c.printerId));
    t.is(winners.size, 1);
    t.is(
      results.filter((r) => r.outcome === 'held_by_other').length,
      calls.filter((c) => !winners.has(c.printerId)).length,
    );
    t.is((await stores[5]!.getOrder('o1'))?.claim?.printerId, [...winners][0]);
    if (before) {
      const after = await testServerStats(admin);
      const conflicts = Number(after.writeConflicts) - Number(before.writeConflicts);
      t.log(`test server: ${conflicts} write conflicts retried during the race (seed ${after.seed})`);
      if (after.interleave) t.true(conflicts > 0, 'the interleaving mode made claims overlap');
    }
  });

  /**
   * Every query the adapter makes with a filter can use an index created at start: the adapter's
   * queries run through a workload, the test server logs the plan of each query shape, and any
   * filtered query without an index fails the test. On a real server the explain part runs alone.
   */
  test('mongodb: the adapter’s filtered queries use indexes (explain, and the test server’s query log)', async (t) => {
    const dbName = freshDbName();
    const store = new MongoStore({ uri, dbName });
    const admin = new MongoClient(uri);
    t.teardown(async () => {
      await store.close();
      await admin.db(dbName).dropDatabase();
      await admin.close();
    });
    await store.ready();
    await exerciseStore(store);
    const db = admin.db(dbName);
    const explained: Array<[string, Document, Document]> = [
      ['orders', { eventId: 'e1', state: { $in: ['paid'] } }, { createdAt: 1, _id: 1 }],
      ['images', { eventId: 'e1', feedState: 'pending' }, { createdAt: 1, _id: 1 }],
      ['images', { eventId: 'e1', feedState: 'appended' }, { seq: 1, _id: 1 }],
      ['images', { eventId: 'e1', sha256: 'x' }, {}],
      ['orders', { code: 'ABCD2345' }, {}],
      ['events', { venueId: 'v1' }, { createdAt: -1, _id: -1 }],
      ['printers', { venueId: 'v1' }, { pairedAt: 1, _id: 1 }],
      ['holdings', { eventId: 'e1' }, { printerId: 1 }],
    ];
    for (const [collection, filter, sort] of explained) {
      const plan = await db.collection(collection).find(filter).sort(sort).explain('queryPlanner');
      const stages = planStages(plan.queryPlanner?.winningPlan);
      t.true(
        stages.some((s) => s.stage === 'IXSCAN' || s.stage === 'IDHACK' || String(s.stage).startsWith('EXPRESS')),
        `${collection} ${JSON.stringify(filter)} uses an index: ${JSON.stringify(stages)}`,
      );
    }
    const hinted = await db.collection('orders').find({ eventId: 'e1' }).hint('eventId_1').explain('queryPlanner');
    t.true(
      planStages(hinted.queryPlanner?.winningPlan).some((s) => s.indexName === 'eventId_1'),
      'a hint by name is used',
    );
    await t.throwsAsync(db.collection('orders').find({ eventId: 'e1' }).hint('no_such_index').toArray(), {
      message: /hint provided does not correspond to an existing index/,
    });

    if (!server.testServer) {
      t.log('real MongoDB: the query log is a test-server feature; explain checks ran');
      return;
    }
    const log = (await db.command({ vpmTestServerQueryLog: 1 })).queries as Array<{
      collection: string;
      op: string;
      shape: string;
      plan: { stage: string; indexName?: string };
    }>;
    t.true(log.length > 20, `the workload ran many query shapes (${log.length})`);
    const unindexed = log.filter((q) => q.plan.stage === 'COLLSCAN' && !q.shape.startsWith('{"filter":{}'));
    t.deepEqual(unindexed, [], 'every filtered query can use an index');
    t.log(
      `${log.length} query shapes; ${log.filter((q) => q.plan.stage === 'COLLSCAN').length} unfiltered full listings`,
    );
  });
});

interface PlanStage {
  stage?: string;
  indexName?: string;
}

/** Every stage of a winning plan (classic engine: inputStage/inputStages; SBE: queryPlan). */
function planStages(node: Document | undefined): PlanStage[] {
  if (!node) return [];
  const children = [node.queryPlan, node.inputStage, ...((node.inputStages as Document[] | undefined) ?? [])];
  return [{ stage: node.stage, indexName: node.indexName }, ...children.flatMap((c) => planStages(c as Document))];
}
