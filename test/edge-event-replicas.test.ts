import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import Corestore from 'corestore';
import type Hypercore from 'hypercore';
import pino from 'pino';
import type { CloudLane } from '../edge-node/mesh/cloud-lane.ts';
import { EventReplicas, type EventReplicasOptions } from '../edge-node/mesh/event-replicas.ts';
import { QueueBoard } from '../edge-node/routing/queue-board.ts';
import { ManualClock } from '../shared/ports/clock.ts';
import type { RedeemJob } from '../shared/protocol/printer-api.ts';
import { tempDir } from './fixtures/feed-fixtures.ts';

const hex = () => randomBytes(32).toString('hex');
const feed = (eventId: string) => ({ eventId, blobsKey: hex(), catalogKey: hex(), encryptionKey: hex() });

/** EventReplicas over a real corestore and queue board; the catalog cores it attaches to the board, in order. */
async function replicasOf(t: ExecutionContext) {
  const dir = await tempDir(t, 'vpm-event-replicas-');
  const store = new Corestore(join(dir, 'store'));
  t.teardown(() => store.close());
  const catalogs: Hypercore[] = [];
  const board = new QueueBoard(new ManualClock(0));
  t.teardown(() => board.close());
  const replicas = new EventReplicas({
    corestore: store,
    // No lane, overlay or detours: the replica then attaches the seeder to its main store, and every
    // peer replicates its photos (event-replica.ts); none is needed to open and close it.
    lane: undefined as unknown as CloudLane,
    mesh: { isCloudKey: () => false, block: () => {} } as unknown as EventReplicasOptions['mesh'],
    gate: { onDemandActive: 0 },
    queues: {
      attach: (core: Hypercore) => {
        catalogs.push(core);
        return board.attach(core);
      },
    },
    metrics: {
      countBytes: () => {},
      photoArrivalSeconds: { observe: () => {} },
    } as unknown as EventReplicasOptions['metrics'],
    storage: { report: () => {} },
    clock: new ManualClock(0),
    logger: pino({ level: 'silent' }),
    endedFile: join(dir, 'ended.json'),
    replicator: () => null,
  });
  return { replicas, catalogs, board };
}

test('an event opened by the profile and a redemption at once is one replica, not two', async (t) => {
  const { replicas, catalogs, board } = await replicasOf(t);
  t.teardown(() => replicas.close());
  const ev = feed('ev-1');
  const [byProfile, byFan, again] = await Promise.all([
    replicas.open(ev),
    replicas.forRedemption('ev-1', { feed: ev } as RedeemJob),
    replicas.open(ev),
  ]);
  t.is(byFan, byProfile);
  t.is(again, byProfile);
  t.is(replicas.size, 1);
  t.is(catalogs.length, 1, 'a second replica would have opened the catalog again, and been left open');
  t.is(await replicas.open(ev), byProfile, 'and once open, it is the one');
  t.is(board.attachedCores, 1, 'its catalog carries queues');
  await replicas.close();
  t.is(board.attachedCores, 0, 'a closed catalog carries queues no more');
});

test('closing while an event opens closes that replica too, and its opener is told the printer is shutting down', async (t) => {
  const { replicas, catalogs, board } = await replicasOf(t);
  const refused = t.throwsAsync(replicas.open(feed('ev-2')), { message: /shutting down/ });
  await replicas.close();
  await refused;
  t.is(catalogs.length, 1);
  t.true(catalogs[0]!.closed, 'the replica opened during the close was left open');
  t.is(board.attachedCores, 0, 'and its catalog still carried queues');
  t.is(replicas.size, 0);
  await t.throwsAsync(replicas.open(feed('ev-3')), { message: /shutting down/ }, 'nothing opens after the close');
  await t.throwsAsync(replicas.forRedemption('ev-2'), { message: /shutting down/ }, 'nor for a fan');
});
