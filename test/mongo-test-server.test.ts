import test from 'ava';
import { type Collection, type Document, MongoClient, MongoServerError } from 'mongodb';
import siftDefault from 'sift';
import { MongoOrders } from '../coordinator/store/mongo-orders.ts';
import type { OrderDoc } from '../coordinator/store/mongo-queries.ts';
import { MongoStore } from '../coordinator/store/mongo-store.ts';
import { MongoTestServer, TEST_SERVER_LABEL } from './fixtures/fake-mongo-server.ts';
import { CLAIM_TTL_MS, orderRecord, T0 } from './fixtures/store-records.ts';

/**
 * The MongoDB test server (test/fixtures/fake-mongo-server.ts) against documented MongoDB
 * behaviour, written down by hand here rather than taken from mingo, which runs inside the server:
 * each expectation below is what the MongoDB manual says, checked through the official driver.
 * Matching expectations are also checked with sift, a query implementation that is not mingo.
 */

const servers: MongoTestServer[] = [];
const clients: MongoClient[] = [];
async function connect(options: ConstructorParameters<typeof MongoTestServer>[0] = {}): Promise<MongoClient> {
  const server = new MongoTestServer(options);
  servers.push(server);
  plainUri = await server.start();
  const client = new MongoClient(plainUri);
  clients.push(client);
  return client;
}
test.after.always(async () => {
  for (const client of clients) await client.close();
  for (const server of servers) await server.stop();
});

let n = 0;
let plainUri = '';
// sift's types declare an ES default export; at run time the CommonJS module itself is the function.
const sift = siftDefault as unknown as (query: Document) => (doc: Document) => boolean;
const codeOf = (err: unknown): unknown => (err as { code?: unknown } | undefined)?.code;

/** Test documents carry small numbers or strings as _id, as the adapter's do. */
type Doc = Document & { _id?: number | string };
const coll = (client: MongoClient): Collection<Doc> => client.db(`t${++n}`).collection('c');
let plain: MongoClient;
test.before(async () => {
  plain = await connect();
});

test('hello and buildInfo say it is a test server, not MongoDB', async (t) => {
  const hello = await plain.db('admin').command({ hello: 1 });
  const info = await plain.db('admin').command({ buildInfo: 1 });
  t.is(hello.testServer, TEST_SERVER_LABEL);
  t.is(info.testServer, TEST_SERVER_LABEL);
  t.regex(TEST_SERVER_LABEL, /test server.*not MongoDB/);
});

const MATCHING: Array<{ name: string; filter: Document; yes: Document[]; no: Document[] }> = [
  {
    name: '{f: null} matches a null or missing field',
    filter: { f: null },
    yes: [{}, { f: null }],
    no: [{ f: 0 }, { f: {} }],
  },
  {
    name: 'a dotted path through null matches nothing but null/missing equality',
    filter: { 'claim.printerId': 'x' },
    yes: [{ claim: { printerId: 'x' } }],
    no: [{ claim: null }, {}, { claim: { printerId: 'y' } }],
  },
  {
    name: '$lt does not match null or missing (type bracketing)',
    filter: { 'claim.expiresAt': { $lt: 5 } },
    yes: [{ claim: { expiresAt: 4 } }],
    no: [{ claim: null }, {}, { claim: { expiresAt: 5 } }, { claim: { expiresAt: '4' } }],
  },
  {
    name: '$exists: false on a numeric key of an embedded document',
    filter: { 'printed.1': { $exists: false } },
    yes: [{ printed: {} }, { printed: { 0: { at: 1 } } }],
    no: [{ printed: { 1: { at: 1 } } }],
  },
  {
    name: '$in and $or',
    filter: { state: { $in: ['paid', 'redeeming'] }, $or: [{ claim: null }, { 'claim.printerId': 'me' }] },
    yes: [{ state: 'paid' }, { state: 'redeeming', claim: { printerId: 'me' } }],
    no: [{ state: 'fulfilled' }, { state: 'paid', claim: { printerId: 'other' } }],
  },
];

for (const { name, filter, yes, no } of MATCHING) {
  test(`matching: ${name}`, async (t) => {
    const c = coll(plain);
    const docs = [...yes, ...no].map((d, i) => ({ _id: i, ...d }));
    await c.insertMany(docs);
    const matched = (await c.find(filter).sort({ _id: 1 }).toArray()).map((d) => d._id);
    t.deepEqual(
      matched,
      yes.map((_, i) => i),
      'test server',
    );
    t.deepEqual(
      docs.filter(sift(filter)).map((d) => d._id),
      yes.map((_, i) => i),
      'sift',
    );
  });
}

test('matching: $expr compares two fields of the same document', async (t) => {
  const c = coll(plain);
  await c.insertMany([
    { _id: 1, printedCount: 1, unitCount: 2 },
    { _id: 2, printedCount: 2, unitCount: 2 },
    { _id: 3, printedCount: 3, unitCount: 2 },
  ]);
  const ids = async (filter: Document) => (await c.find(filter).sort({ _id: 1 }).toArray()).map((d) => d._id);
  t.deepEqual(await ids({ $expr: { $lt: ['$printedCount', '$unitCount'] } }), [1]);
  t.deepEqual(await ids({ $expr: { $gte: ['$printedCount', '$unitCount'] } }), [2, 3]);
});

test('updates: dotted $inc and $max create missing parents; through null they fail with PathNotViable (28)', async (t) => {
  const c = coll(plain);
  await c.insertMany([{ _id: 1, a: { c: 1 } }, { _id: 2 }, { _id: 3, feedHead: null }, { _id: 4, a: [] }]);
  await c.updateOne({ _id: 1 }, { $inc: { 'a.b': 1 } });
  await c.updateOne({ _id: 2 }, { $inc: { 'a.b': 2 } });
  t.deepEqual(await c.findOne({ _id: 1 }), { _id: 1, a: { c: 1, b: 1 } });
  t.deepEqual(await c.findOne({ _id: 2 }), { _id: 2, a: { b: 2 } });
  const err = await t.throwsAsync(c.updateOne({ _id: 3 }, { $max: { 'feedHead.blobsLength': 5 } }), {
    instanceOf: MongoServerError,
  });
  t.is(err?.code, 28);
  t.regex(err?.message ?? '', /Cannot create field 'blobsLength' in element/);
  t.is(codeOf(await t.throwsAsync(c.updateOne({ _id: 3 }, { $set: { 'feedHead.x': 1 } }))), 28);
  t.is(codeOf(await t.throwsAsync(c.updateOne({ _id: 4 }, { $set: { 'a.x': 1 } }))), 28, 'a named field in an array');
  t.deepEqual(await c.findOne({ _id: 3 }), { _id: 3, feedHead: null }, 'a failed update changes nothing');
});

test('updates: pipeline $set of an object literal merges into the embedded document (MongoDB), not replaces it', async (t) => {
  const c = coll(plain);
  await c.insertMany([
    { _id: 1, claim: { printerId: 'old', claimedAt: 5, note: 'kept' } },
    { _id: 2, claim: null },
    { _id: 3 },
    { _id: 4, claim: [{ a: 1 }, 7] },
  ]);
  const pipeline = [{ $set: { claim: { printerId: { $literal: '$p' }, expiresAt: { $add: [1, 2] } } } }];
  await c.updateMany({}, pipeline);
  t.deepEqual(await c.findOne({ _id: 1 }), {
    _id: 1,
    claim: { printerId: '$p', claimedAt: 5, note: 'kept', expiresAt: 3 },
  });
  t.deepEqual(await c.findOne({ _id: 2 }), { _id: 2, claim: { printerId: '$p', expiresAt: 3 } });
  t.deepEqual(await c.findOne({ _id: 3 }), { _id: 3, claim: { printerId: '$p', expiresAt: 3 } });
  t.deepEqual(await c.findOne({ _id: 4 }), {
    _id: 4,
    claim: [
      { a: 1, printerId: '$p', expiresAt: 3 },
      { printerId: '$p', expiresAt: 3 },
    ],
  });
  await c.updateOne({ _id: 1 }, [{ $set: { claim: { claimedAt: '$claim.expiresAt' } } }]);
  t.is((await c.findOne({ _id: 1 }))?.claim.claimedAt, 3, 'expressions see the stage’s input document');
});

test('updates: _id is immutable (66); an upsert seeds from the filter’s equalities; $-prefixed field names', async (t) => {
  const c = coll(plain);
  await c.insertOne({ _id: 1, a: 1 });
  t.is(codeOf(await t.throwsAsync(c.updateOne({ _id: 1 }, { $set: { _id: 2 } }))), 66);
  t.is(codeOf(await t.throwsAsync(c.replaceOne({ _id: 1 }, { _id: 2, a: 2 }))), 66);
  await c.updateOne({ _id: 5, 'x.y': 'z', n: { $gt: 1 } }, { $set: { b: 1 } }, { upsert: true });
  t.deepEqual(await c.findOne({ _id: 5 }), { _id: 5, x: { y: 'z' }, b: 1 });
  // MongoDB 5.0+: '$'-prefixed names may be inserted (also by an upsert), not $set on an existing document.
  await c.insertOne({ _id: 6, $price: 1 });
  await c.updateOne({ _id: 7 }, { $set: { $hotel: 2 } }, { upsert: true });
  t.is(codeOf(await t.throwsAsync(c.updateOne({ _id: 7 }, { $set: { $hotel: 3 } }))), 52);
  t.is((await c.findOne({ _id: 7 }))?.$hotel, 2);
});

test('limits: a document over 16 MiB is refused with MongoDB’s errors (10334 insert, 17419 update)', async (t) => {
  const c = coll(plain);
  const tenMiB = 'x'.repeat(10 * 1024 * 1024);
  await c.insertOne({ _id: 1, a: tenMiB });
  const err = await t.throwsAsync(c.updateOne({ _id: 1 }, { $set: { b: tenMiB } }), { instanceOf: MongoServerError });
  t.is(err?.code, 17419);
  t.regex(err?.message ?? '', /Resulting document after update is larger than 16777216/);
  const big = { _id: 2, a: 'y'.repeat(16 * 1024 * 1024 - 20) };
  const insertErr = await t.throwsAsync(c.insertOne(big));
  t.is(codeOf(insertErr), 10334, String(insertErr));
  t.is(await c.countDocuments({}), 1);
});

test('cursors: batches of 101 then getMore, at most 16 MiB each; killCursors frees a cursor', async (t) => {
  const c = coll(plain);
  await c.insertMany(Array.from({ length: 250 }, (_, i) => ({ _id: i })));
  const batches: number[] = [];
  const client = new MongoClient(plainUri, { monitorCommands: true });
  t.teardown(() => client.close());
  client.on('commandSucceeded', (e) => {
    if (['find', 'aggregate', 'getMore'].includes(e.commandName)) {
      const cursor = (e.reply as Document).cursor as Document;
      batches.push(((cursor.firstBatch ?? cursor.nextBatch) as Document[]).length);
    }
  });
  const c2 = client.db(c.dbName).collection<Doc>('c');
  t.is((await c2.find({}).toArray()).length, 250);
  t.deepEqual(batches, [101, 149]);

  batches.length = 0;
  const mib = 'z'.repeat(1024 * 1024);
  await c2.insertMany(Array.from({ length: 40 }, (_, i) => ({ _id: 1000 + i, mib })));
  t.is((await c2.find({ _id: { $gte: 1000 } }).toArray()).length, 40);
  t.true(batches.length >= 3, `40 MiB needs at least three batches: ${batches.join(', ')}`);
  t.true(
    batches.every((b) => b <= 16),
    'no batch over 16 MiB',
  );

  batches.length = 0;
  const empty = await c2.aggregate([{ $match: {} }], { cursor: { batchSize: 0 } }).toArray();
  t.is(empty.length, 290);
  t.is(batches[0], 0, 'batchSize 0: an empty first batch, then getMore');

  const cursor = c2.find({}).batchSize(10);
  await cursor.next();
  const before = servers[0]!.stats.openCursors;
  await cursor.close();
  t.is(servers[0]!.stats.openCursors, before - 1, 'killCursors removed it');
});

test('indexes: same name with another key is 86, the same key under another name or options is 85', async (t) => {
  const c = coll(plain);
  await c.createIndex({ a: 1 }, { name: 'a_1' });
  await c.createIndex({ a: 1 }, { name: 'a_1' });
  t.is(codeOf(await t.throwsAsync(c.createIndex({ b: 1 }, { name: 'a_1' }))), 86);
  t.is(codeOf(await t.throwsAsync(c.createIndex({ a: 1 }, { name: 'other' }))), 85);
  t.is(codeOf(await t.throwsAsync(c.createIndex({ a: 1 }, { name: 'a_1', unique: true }))), 86);
  await c.insertMany([{ u: 1 }, { u: 1 }]);
  t.is(codeOf(await t.throwsAsync(c.createIndex({ u: 1 }, { unique: true }))), 11000, 'existing duplicates');
  t.deepEqual(
    (await c.listIndexes().toArray()).map((i) => i.name),
    ['_id_', 'a_1'],
  );
});

test('a garbage message or an unknown command gets an error reply or a closed socket, never a crash', async (t) => {
  const { connect: tcp } = await import('node:net');
  const [host, port] = plainUri.replace('mongodb://', '').split('/')[0]!.split(':');
  for (const bytes of [
    Buffer.from([20, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0xdd, 0x07, 0, 0, 0, 0, 0, 0]),
    Buffer.alloc(8, 0xff),
  ]) {
    const socket = tcp(Number(port), host!);
    socket.on('error', () => undefined);
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    socket.write(bytes);
    await new Promise<void>((resolve) => {
      socket.once('data', () => resolve());
      socket.once('close', () => resolve());
    });
    socket.destroy();
  }
  const err = await t.throwsAsync(plain.db('x').command({ noSuchCommand: 1 }));
  t.is((err as MongoServerError).code, 59);
  t.is((await plain.db('admin').command({ ping: 1 })).ok, 1, 'still serving');
});

/**
 * The interleaving mode can fail a wrong adapter: with it, a read-then-write that does not check
 * what it read loses updates, and with the server's write-conflict check turned off (which
 * MongoDB never does) even $inc loses them, so reads and writes of concurrent commands really
 * overlap. With the check on, $inc and the adapter's conditional claims stay exactly-once.
 */
const WRITERS = 10;
const WRITES_EACH = 20;

async function clientsOn(uri: string, count: number): Promise<MongoClient[]> {
  const list = Array.from({ length: count }, () => new MongoClient(uri));
  clients.push(...list);
  for (const c of list) await c.connect();
  return list;
}

test('interleaving: an unsafe read-then-write loses updates; $inc loses none', async (t) => {
  const server = new MongoTestServer({ interleave: { seed: 7 } });
  servers.push(server);
  const writers = await clientsOn(await server.start(), WRITERS);
  const counters = writers.map((w) => w.db('race').collection<{ _id: string; n: number }>('counters'));
  await counters[0]!.insertMany([
    { _id: 'unsafe', n: 0 },
    { _id: 'inc', n: 0 },
  ]);
  await Promise.all(
    counters.map(async (c) => {
      for (let i = 0; i < WRITES_EACH; i++) {
        const read = await c.findOne({ _id: 'unsafe' });
        await c.updateOne({ _id: 'unsafe' }, { $set: { n: read!.n + 1 } });
        await c.updateOne({ _id: 'inc' }, { $inc: { n: 1 } });
      }
    }),
  );
  const total = WRITERS * WRITES_EACH;
  const unsafe = (await counters[0]!.findOne({ _id: 'unsafe' }))!.n;
  t.true(unsafe < total, `unsafe read-then-write kept ${unsafe} of ${total}`);
  t.is((await counters[0]!.findOne({ _id: 'inc' }))!.n, total);
  t.log(`unsafe: ${unsafe}/${total}; write conflicts retried by the server: ${server.stats.writeConflicts}`);
});

test('interleaving without the write-conflict check loses even $inc updates (the mode overlaps reads and writes)', async (t) => {
  const server = new MongoTestServer({ interleave: { seed: 11, detectWriteConflicts: false } });
  servers.push(server);
  const writers = await clientsOn(await server.start(), WRITERS);
  const counters = writers.map((w) => w.db('race').collection<{ _id: string; n: number }>('counters'));
  await counters[0]!.insertOne({ _id: 'inc', n: 0 });
  await Promise.all(
    counters.map(async (c) => {
      for (let i = 0; i < WRITES_EACH; i++) await c.updateOne({ _id: 'inc' }, { $inc: { n: 1 } });
    }),
  );
  const n = (await counters[0]!.findOne({ _id: 'inc' }))!.n;
  t.true(n < WRITERS * WRITES_EACH, `kept ${n} of ${WRITERS * WRITES_EACH}`);
});

test('interleaving: the adapter’s conditional claims stay exactly-once while the server retries write conflicts', async (t) => {
  const server = new MongoTestServer({ interleave: { seed: 3 } });
  servers.push(server);
  const uri = await server.start();
  const stores = Array.from({ length: WRITERS }, () => new MongoStore({ uri, dbName: 'claims' }));
  t.teardown(async () => {
    for (const s of stores) await s.close();
  });
  for (const s of stores) await s.ready();
  for (let round = 0; round < 5; round++) {
    const id = `o${round}`;
    await stores[0]!.insertOrder(orderRecord(id, { code: `CODE000${round}` }));
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => stores[i % WRITERS]!.claimOrder(id, `p${i % 10}`, T0, CLAIM_TTL_MS)),
    );
    const winners = new Set(results.flatMap((r, i) => (r.outcome === 'claimed' ? [`p${i % 10}`] : [])));
    t.is(winners.size, 1, `round ${round}`);
  }
  t.true(server.stats.writeConflicts > 0, `write conflicts retried: ${server.stats.writeConflicts}`);
});

test('interleaving: racing upserts on _id are retried by the server as MongoDB 4.2+ does; a lease filter gets E11000', async (t) => {
  const server = new MongoTestServer({ interleave: { seed: 5 } });
  servers.push(server);
  const writers = await clientsOn(await server.start(), WRITERS);
  const docs = writers.map((w) => w.db('upserts').collection<{ _id: string; by?: number; holder?: string }>('c'));
  const ROUNDS = 20;
  let duplicateKeyErrors = 0;
  for (let round = 0; round < ROUNDS; round++) {
    await Promise.all(docs.map((c, i) => c.replaceOne({ _id: `r${round}` }, { by: i }, { upsert: true })));
    const leases = await Promise.allSettled(
      docs.map((c, i) =>
        c.updateOne(
          { _id: `lease${round}`, $or: [{ holder: `h${i}` }, { expiresAt: { $lt: 0 } }] },
          { $set: { holder: `h${i}` } },
          { upsert: true },
        ),
      ),
    );
    duplicateKeyErrors += leases.filter((r) => r.status === 'rejected' && codeOf(r.reason) === 11000).length;
    t.is(
      leases.filter((r) => r.status === 'fulfilled').length + leases.filter((r) => r.status === 'rejected').length,
      WRITERS,
    );
    t.is(await docs[0]!.countDocuments({ _id: `lease${round}` }), 1);
  }
  t.is(await docs[0]!.countDocuments({ _id: /^r/ }), ROUNDS, 'every replace-upsert succeeded, one document each');
  t.true(
    server.stats.upsertDuplicateKeyRetries > 0,
    `server-side upsert retries: ${server.stats.upsertDuplicateKeyRetries}`,
  );
  t.true(duplicateKeyErrors > 0, `lease upserts refused with E11000: ${duplicateKeyErrors}`);
});

test('interleaving drives the adapter’s claim retry path (a miss, then a read that finds the order free) without double holders', async (t) => {
  const server = new MongoTestServer({ interleave: { seed: 9 } });
  servers.push(server);
  const uri = await server.start();
  const list = await clientsOn(uri, WRITERS);
  const orders = list.map((c) => c.db('retry').collection<OrderDoc>('orders'));
  await orders[0]!.insertOne({ ...orderRecord('o1'), _id: 'o1' });
  // Counts findOneAndUpdate calls per claim: a second one in the same call is the retry path.
  let retries = 0;
  const spied = orders.map((c) => {
    const adapter = new MongoOrders(c);
    return {
      async claim(printerId: string) {
        let calls = 0;
        const counting = new Proxy(c, {
          get(target, key, receiver) {
            if (key === 'findOneAndUpdate') calls++;
            return Reflect.get(target, key, receiver);
          },
        });
        const result = await new MongoOrders(counting).claim('o1', printerId, T0, CLAIM_TTL_MS);
        if (calls > 1) retries++;
        return result;
      },
      release: (printerId: string) => adapter.release('o1', printerId),
    };
  });
  let claims = 0;
  await Promise.all(
    spied.map(async (orders, i) => {
      for (let round = 0; round < WRITES_EACH; round++) {
        const result = await orders.claim(`p${i}`);
        if (result.outcome !== 'claimed') continue;
        claims++;
        // Nobody else may take a live claim: the holder's release must find it still held.
        t.truthy(await orders.release(`p${i}`), `p${i} still held its claim in round ${round}`);
      }
    }),
  );
  t.true(claims > WRITERS, `${claims} claims`);
  t.true(retries > 0, `claim calls that took the retry path: ${retries}`);
  t.log(`${claims} claims, ${retries} claim calls retried, ${server.stats.writeConflicts} write conflicts`);
});
