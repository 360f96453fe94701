import { isStoreConflict } from '../coordinator/store/port.ts';
import { type OwnPhotoJobRecord, withOwnPhotoEvent } from '../shared/policy/own-photo-job.ts';
import type { StoreTest } from './fixtures/store-harness.ts';
import { T0 } from './fixtures/store-records.ts';

const HOUR_MS = 3_600_000;

export function ownPhotoJob(id: string, over: Partial<OwnPhotoJobRecord> = {}): OwnPhotoJobRecord {
  return {
    id,
    code: 'ABC123',
    pinSalt: 'salt',
    pinHash: 'f'.repeat(64),
    ownerHash: 'e'.repeat(64),
    images: [
      {
        n: 0,
        sha256: 'a'.repeat(64),
        mime: 'image/jpeg',
        width: 1600,
        height: 1200,
        byteLength: 123_456,
        copies: 1,
        originalName: 'IMG_0001.jpg',
      },
    ],
    state: 'uploaded',
    version: 1,
    createdAt: T0,
    expiresAt: T0 + 24 * HOUR_MS,
    quote: null,
    paymentSessionIds: [],
    paidSessionId: null,
    paidAt: null,
    paidVia: null,
    payingPrinterId: null,
    release: null,
    failures: [],
    printedAt: null,
    printedBy: null,
    imagesDeletedAt: null,
    ...over,
  };
}

/** The own-photo part of the store port (own-photo-port.ts), for every adapter. */
export function ownPhotoContract(it: StoreTest): void {
  it('own-photo jobs: insert, get (a copy), list by code oldest first, duplicates refused', async (t, store) => {
    const jobs = store.ownPhotoJobs();
    const first = ownPhotoJob('j1');
    await jobs.insertOwnPhotoJob(first);
    await jobs.insertOwnPhotoJob(ownPhotoJob('j2', { createdAt: T0 + 5 }));
    await jobs.insertOwnPhotoJob(ownPhotoJob('j3', { code: 'ZZZ999' }));
    const got = await jobs.getOwnPhotoJob('j1');
    t.deepEqual(got, first);
    got!.images[0]!.copies = 9;
    t.is((await jobs.getOwnPhotoJob('j1'))?.images[0]?.copies, 1, 'returned records are copies');
    t.is(await jobs.getOwnPhotoJob('nope'), null);
    t.deepEqual(
      (await jobs.listOwnPhotoJobsByCode('ABC123')).map((j) => j.id),
      ['j1', 'j2'],
    );
    t.deepEqual(await jobs.listOwnPhotoJobsByCode('NONE00'), []);
    const err = await t.throwsAsync(() => jobs.insertOwnPhotoJob(ownPhotoJob('j1')));
    t.true(isStoreConflict(err));
  });

  it('own-photo jobs: a replace wins only on the expected version (compare-and-swap)', async (t, store) => {
    const jobs = store.ownPhotoJobs();
    const job = ownPhotoJob('j1');
    await jobs.insertOwnPhotoJob(job);
    const paid = withOwnPhotoEvent(job, 'paid', { paidAt: T0 + 1, paidSessionId: 's1' })!;
    const other = withOwnPhotoEvent(job, 'checkout_started', { paymentSessionIds: ['s2'] })!;
    t.true(await jobs.replaceOwnPhotoJob(paid, 1));
    t.false(await jobs.replaceOwnPhotoJob(other, 1), 'a stale writer changes nothing');
    t.deepEqual(await jobs.getOwnPhotoJob('j1'), paid);
    t.false(await jobs.replaceOwnPhotoJob(ownPhotoJob('missing', { version: 2 }), 1));
  });

  it('own-photo jobs: listed newest first, by state, at most the limit', async (t, store) => {
    const jobs = store.ownPhotoJobs();
    for (let i = 0; i < 5; i++) {
      await jobs.insertOwnPhotoJob(
        ownPhotoJob(`j${i}`, { createdAt: T0 + i, state: i % 2 === 0 ? 'uploaded' : 'printed' }),
      );
    }
    t.deepEqual(
      (await jobs.listOwnPhotoJobs({}, 3)).map((j) => j.id),
      ['j4', 'j3', 'j2'],
    );
    t.deepEqual(
      (await jobs.listOwnPhotoJobs({ states: ['printed'] }, 10)).map((j) => j.id),
      ['j3', 'j1'],
    );
    t.deepEqual(await jobs.listOwnPhotoJobs({ states: [] }, 10), []);
    t.deepEqual(await jobs.listOwnPhotoJobs({}, 0), []);
  });

  it('own-photo jobs: due for the sweeper exactly when sweepDueAt says, and no longer once handled', async (t, store) => {
    const jobs = store.ownPhotoJobs();
    await jobs.insertOwnPhotoJob(ownPhotoJob('unpaid', { expiresAt: T0 + 100 }));
    await jobs.insertOwnPhotoJob(ownPhotoJob('later', { expiresAt: T0 + 500 }));
    await jobs.insertOwnPhotoJob(ownPhotoJob('paid', { state: 'paid', expiresAt: T0 + 50 }));
    const printed = ownPhotoJob('printed', { state: 'printed', printedAt: T0 });
    await jobs.insertOwnPhotoJob(printed);
    t.deepEqual(
      (await jobs.listOwnPhotoJobsDue(T0 + 99, 10)).map((j) => j.id),
      ['printed'],
    );
    t.deepEqual(
      (await jobs.listOwnPhotoJobsDue(T0 + 100, 10)).map((j) => j.id),
      ['printed', 'unpaid'],
    );
    t.true(await jobs.replaceOwnPhotoJob({ ...printed, imagesDeletedAt: T0 + 1, version: 2 }, 1));
    t.deepEqual(
      (await jobs.listOwnPhotoJobsDue(T0 + 1_000, 10)).map((j) => j.id),
      ['unpaid', 'later'],
    );
    t.deepEqual(
      (await jobs.listOwnPhotoJobsDue(T0 + 1_000, 1)).map((j) => j.id),
      ['unpaid'],
    );
  });
}
