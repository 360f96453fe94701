import test from 'ava';
import fc from 'fast-check';
import { ownPhotoSales } from '../coordinator/services/own-photo-view.ts';
import {
  hashOwnPhotoPin,
  isOwnPhotoPin,
  newOwnPhotoCode,
  newOwnPhotoPin,
  normalizeOwnPhotoCode,
  OWN_PHOTO_CODE_CHARS,
  ownPhotoPinMatches,
  ownPhotoQrText,
  parseOwnPhotoQr,
} from '../shared/own-photos/job-code.ts';
import {
  decideRelease,
  jobIdOfPaymentRef,
  nextOwnPhotoJobState,
  OWN_PHOTO_JOB_STATES,
  type OwnPhotoJobEvent,
  type OwnPhotoJobRecord,
  type OwnPhotoJobState,
  ownPhotoExpiry,
  ownPhotoPaymentRef,
  sweepAction,
  sweepDueAt,
  withOwnPhotoEvent,
} from '../shared/policy/own-photo-job.ts';
import { ownPhotoPriceList, priceOwnPhotoJobs } from '../shared/policy/own-photo-pricing.ts';
import { priceOrder } from '../shared/policy/pricing.ts';
import { cryptoRandom, type Random } from '../shared/ports/random.ts';

const HOUR_MS = 3_600_000;
const T0 = 1_767_000_000_000;
const HOLD_MS = 300_000;

function job(overrides: Partial<OwnPhotoJobRecord> = {}): OwnPhotoJobRecord {
  return {
    id: 'job-1',
    code: 'ABC123',
    pinSalt: 'salt',
    pinHash: hashOwnPhotoPin('1234', 'salt'),
    ownerHash: 'owner',
    images: [
      {
        n: 0,
        sha256: 'a'.repeat(64),
        mime: 'image/jpeg',
        width: 800,
        height: 600,
        byteLength: 1,
        copies: 1,
        originalName: null,
      },
      {
        n: 1,
        sha256: 'b'.repeat(64),
        mime: 'image/png',
        width: 800,
        height: 600,
        byteLength: 1,
        copies: 2,
        originalName: null,
      },
    ],
    state: 'uploaded',
    version: 1,
    createdAt: T0,
    expiresAt: ownPhotoExpiry(T0, 24 * HOUR_MS),
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
    ...overrides,
  };
}

/** A Random that replays `bytes` (then zeros): deterministic codes and PINs. */
function replay(bytes: number[]): Random {
  let i = 0;
  return {
    bytes: (n) => {
      const out = Buffer.alloc(n);
      for (let k = 0; k < n; k++) out[k] = bytes[i++] ?? 0;
      return out;
    },
  };
}

test('job codes: 6 Crockford characters, typed forgivingly; anything else is not a code', (t) => {
  for (let i = 0; i < 200; i++) {
    const code = newOwnPhotoCode(cryptoRandom);
    t.is(code.length, OWN_PHOTO_CODE_CHARS);
    t.is(normalizeOwnPhotoCode(code), code);
    t.is(normalizeOwnPhotoCode(`${code.slice(0, 3).toLowerCase()}-${code.slice(3)}`), code);
  }
  t.is(normalizeOwnPhotoCode('7k2 m9q'), '7K2M9Q');
  t.is(normalizeOwnPhotoCode('7K2MOQ'), '7K2M0Q', 'O is a zero');
  t.is(normalizeOwnPhotoCode('IL2M9Q'), '112M9Q', 'I and L are ones');
  t.is(normalizeOwnPhotoCode('7K2M9'), null);
  t.is(normalizeOwnPhotoCode('7K2M9QX'), null);
  t.is(normalizeOwnPhotoCode('7K2M9U'), null, 'U is not a Crockford character');
  t.is(normalizeOwnPhotoCode('x'.repeat(100)), null);
});

test('PINs: four digits, uniformly drawn (a draw past the last whole 10 000 is thrown away), stored hashed', (t) => {
  // 0xFFFF = 65535 ≥ 60000 is rejected; 0x0001 gives 0001.
  t.is(newOwnPhotoPin(replay([0xff, 0xff, 0x00, 0x01])), '0001');
  t.is(newOwnPhotoPin(replay([0xea, 0x5f])), '9999', '59999 is the last accepted draw');
  for (let i = 0; i < 200; i++) t.true(isOwnPhotoPin(newOwnPhotoPin(cryptoRandom)));
  const hash = hashOwnPhotoPin('0420', 'salt-a');
  t.not(hash, hashOwnPhotoPin('0420', 'salt-b'), 'salted');
  t.true(ownPhotoPinMatches('0420', 'salt-a', hash));
  t.false(ownPhotoPinMatches('0421', 'salt-a', hash));
  t.false(ownPhotoPinMatches('420', 'salt-a', hash));
  t.false(ownPhotoPinMatches('0420', 'salt-a', 'not-hex'));
});

test('the job QR holds code and PIN; order tokens and stray scans are not job QRs', (t) => {
  const text = ownPhotoQrText('7K2M9Q', '0420');
  t.is(text, 'PRINTJOB:7K2M9Q:0420');
  t.regex(text, /^[0-9A-Z:]+$/, 'QR alphanumeric mode');
  t.deepEqual(parseOwnPhotoQr(text), { code: '7K2M9Q', pin: '0420' });
  t.deepEqual(parseOwnPhotoQr(' printjob:7k2m9q:0420 '), { code: '7K2M9Q', pin: '0420' });
  t.is(parseOwnPhotoQr('PRINTJOB:7K2M9Q:042'), null);
  t.is(parseOwnPhotoQr('PRINTJOB:7K2M9Q'), null);
  t.is(parseOwnPhotoQr('HC1:6BFOXN%TS3DH0YOJ58S S-W5HDC *M0II5XHC9B5G2+$N'), null);
});

test('state machine: every allowed step, and nothing else', (t) => {
  const allowed: Record<OwnPhotoJobEvent, Partial<Record<OwnPhotoJobState, OwnPhotoJobState>>> = {
    checkout_started: { uploaded: 'awaiting_payment', awaiting_payment: 'awaiting_payment' },
    checkout_cancelled: { awaiting_payment: 'uploaded' },
    paid: { uploaded: 'paid', awaiting_payment: 'paid' },
    payment_voided: { paid: 'uploaded' },
    released: { paid: 'released' },
    release_failed: { released: 'paid' },
    printed: { released: 'printed' },
    expired: { uploaded: 'expired', awaiting_payment: 'expired' },
  };
  for (const [event, from] of Object.entries(allowed) as Array<
    [OwnPhotoJobEvent, Partial<Record<OwnPhotoJobState, OwnPhotoJobState>>]
  >) {
    for (const state of OWN_PHOTO_JOB_STATES) {
      t.is(nextOwnPhotoJobState(state, event), from[state] ?? null, `${state} --${event}-->`);
    }
  }
  // A paid job never expires by time: money was taken.
  t.is(nextOwnPhotoJobState('paid', 'expired'), null);
  const next = withOwnPhotoEvent(job(), 'paid', { paidAt: T0 });
  t.is(next?.state, 'paid');
  t.is(next?.version, 2);
  t.is(withOwnPhotoEvent(job({ state: 'printed' }), 'paid'), null);
});

test('release: once to one printer; its retry renews; another printer waits for the hold; a failure frees the job', (t) => {
  const paid = job({ state: 'paid' });
  const first = decideRelease(paid, 'printer-a', T0, HOLD_MS);
  t.is(first.kind, 'release');
  if (first.kind !== 'release') return;
  t.deepEqual(first.job.release, { printerId: 'printer-a', releasedAt: T0, expiresAt: T0 + HOLD_MS, attempt: 1 });
  const retry = decideRelease(first.job, 'printer-a', T0 + 1_000, HOLD_MS);
  t.is(retry.kind, 'renew');
  if (retry.kind === 'renew') t.is(retry.job.release?.expiresAt, T0 + 1_000 + HOLD_MS);
  t.deepEqual(decideRelease(first.job, 'printer-b', T0 + HOLD_MS - 1, HOLD_MS), {
    kind: 'held_by_other',
    printerId: 'printer-a',
  });
  const taken = decideRelease(first.job, 'printer-b', T0 + HOLD_MS, HOLD_MS);
  t.is(taken.kind, 'release');
  if (taken.kind === 'release') t.is(taken.job.release?.attempt, 2);
  t.deepEqual(decideRelease(job(), 'printer-a', T0, HOLD_MS), { kind: 'not_paid' });
  t.deepEqual(decideRelease(job({ state: 'printed' }), 'printer-a', T0, HOLD_MS), { kind: 'printed' });
  const failed = withOwnPhotoEvent(first.job, 'release_failed', {
    release: null,
    failures: [{ printerId: 'printer-a', at: T0, reason: 'paper out' }],
  })!;
  const elsewhere = decideRelease(failed, 'printer-b', T0 + 1, HOLD_MS);
  t.is(elsewhere.kind === 'release' ? elsewhere.job.release?.attempt : null, 2);
});

test('retention: unpaid jobs expire at their time, finished ones lose their photos, quiet holds are freed; sweepDueAt agrees with sweepAction', (t) => {
  const created = job();
  t.is(sweepAction(created, created.expiresAt - 1), 'none');
  t.is(sweepAction(created, created.expiresAt), 'expire');
  t.is(sweepAction(job({ state: 'awaiting_payment' }), created.expiresAt), 'expire');
  t.is(sweepAction(job({ state: 'paid' }), created.expiresAt + 100 * HOUR_MS), 'none', 'paid jobs are kept');
  t.is(sweepAction(job({ state: 'printed' }), T0), 'delete_images');
  t.is(sweepAction(job({ state: 'printed', imagesDeletedAt: T0 }), T0), 'none');
  const released = job({
    state: 'released',
    release: { printerId: 'p', releasedAt: T0, expiresAt: T0 + HOLD_MS, attempt: 1 },
  });
  t.is(sweepAction(released, T0 + HOLD_MS - 1), 'none');
  t.is(sweepAction(released, T0 + HOLD_MS), 'free_hold');

  // Property: a job is due exactly when its action is not 'none'.
  const arbitraryJob = fc.record({
    state: fc.constantFrom(...OWN_PHOTO_JOB_STATES),
    expiresAt: fc.integer({ min: T0, max: T0 + 48 * HOUR_MS }),
    holdUntil: fc.integer({ min: T0, max: T0 + HOUR_MS }),
    deleted: fc.boolean(),
  });
  fc.assert(
    fc.property(arbitraryJob, fc.integer({ min: T0 - HOUR_MS, max: T0 + 72 * HOUR_MS }), (a, now) => {
      const j = job({
        state: a.state,
        expiresAt: a.expiresAt,
        imagesDeletedAt: a.deleted ? T0 : null,
        release: a.state === 'released' ? { printerId: 'p', releasedAt: T0, expiresAt: a.holdUntil, attempt: 1 } : null,
      });
      const due = sweepDueAt(j);
      return (due !== null && now >= due) === (sweepAction(j, now) !== 'none');
    }),
  );
});

test('payment references name the job and never an order id', (t) => {
  t.is(ownPhotoPaymentRef('abc'), 'ownjob_abc');
  t.is(jobIdOfPaymentRef('ownjob_abc'), 'abc');
  t.is(jobIdOfPaymentRef('ownjob_'), null);
  t.is(jobIdOfPaymentRef('order-1'), null);
});

test('fee: the configured own-photo price wins, else the event price list with its bundles across jobs', (t) => {
  const event = { currency: 'EUR', unitPriceCents: 800, bundles: [{ copies: 3, priceCents: 2000 }] };
  const configured = { currency: 'EUR', unitPriceCents: 300, bundles: [] };
  t.is(ownPhotoPriceList({ configured, eventPriceList: event }), configured);
  t.is(ownPhotoPriceList({ configured: null, eventPriceList: event }), event);
  t.is(ownPhotoPriceList({ configured: null, eventPriceList: null }), null);
  t.is(priceOwnPhotoJobs(event, [2]).totalCents, 1600);
  // Two jobs of 2 and 1 prints: one bundle of 3, the same as an order of 3 event photos.
  t.is(priceOwnPhotoJobs(event, [2, 1]).totalCents, 2000);
  t.is(priceOwnPhotoJobs(event, [2, 1]).totalCents, priceOrder(event, [{ imageId: 'x', copies: 3 }]).totalCents);
  t.is(priceOwnPhotoJobs(configured, [4]).totalCents, 1200);
  t.throws(() => priceOwnPhotoJobs(event, [0]), { instanceOf: RangeError });
});

test('the own-photos sales channel: paid jobs since a time, per currency', (t) => {
  const paid = (id: string, paidAt: number, currency: string, totalCents: number, printCount: number) =>
    job({ id, state: 'printed', paidAt, quote: { currency, totalCents, printCount } });
  const jobs = [
    paid('a', T0, 'EUR', 1000, 2),
    paid('b', T0 + 10, 'EUR', 500, 1),
    paid('c', T0 + 10, 'CHF', 700, 1),
    paid('old', T0 - 1, 'EUR', 9999, 9),
    job({ id: 'unpaid' }),
  ];
  t.deepEqual(ownPhotoSales(jobs, T0), [
    { currency: 'CHF', jobs: 1, prints: 1, revenueCents: 700 },
    { currency: 'EUR', jobs: 2, prints: 3, revenueCents: 1500 },
  ]);
});
