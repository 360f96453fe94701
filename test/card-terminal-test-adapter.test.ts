import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { TestCardTerminal } from '../coordinator/payment/test-card-terminal.ts';
import { isAppError } from '../shared/errors.ts';
import { ManualClock } from '../shared/ports/clock.ts';
import { cryptoRandom } from '../shared/ports/random.ts';
import { type CardTerminalHarness, cardTerminalContract } from './contracts/card-terminal-contract.ts';

/** The test terminal as a harness: one reader online, one unplugged. */
async function testTerminalHarness(): Promise<
  CardTerminalHarness & { clock: ManualClock; terminal: TestCardTerminal }
> {
  const clock = new ManualClock(1_750_000_000_000);
  const terminal = new TestCardTerminal({ clock, random: cryptoRandom });
  terminal.setOffline('tmr_offline', true);
  return {
    terminal,
    clock,
    readerId: 'tmr_online',
    offlineReaderId: 'tmr_offline',
    present: (readerId, outcome) => terminal.present(readerId, outcome),
    close: async () => {},
  };
}

// The shared port contract (payments' suite, the same one the Stripe adapter passes), then this adapter's own checks.
cardTerminalContract('test', testTerminalHarness);

let n = 0;
const key = (what: string) => `${what}-${++n}`;

async function waiting(h: CardTerminalHarness & { terminal: TestCardTerminal }, amountCents = 1200) {
  const payment = await h.terminal.createAuthorisation({
    saleId: key('sale'),
    amountCents,
    currency: 'EUR',
    description: '2 prints',
    idempotencyKey: key('auth'),
  });
  await h.terminal.collect({ readerId: h.readerId, paymentId: payment.paymentId, idempotencyKey: key('collect') });
  return payment;
}

test('approve: authorised with brand, last four and an authorisation code; captured once; a capture retry is idempotent', async (t) => {
  const h = await testTerminalHarness();
  t.teardown(() => h.close());
  const payment = await waiting(h);
  t.is(payment.status, 'awaiting_card');
  t.is((await h.terminal.reader(h.readerId)).status, 'busy');
  await h.present(h.readerId, 'approve');
  const authorised = await h.terminal.payment(payment.paymentId);
  t.is(authorised.status, 'authorised');
  t.deepEqual(authorised.card, { brand: 'visa', last4: '4242' });
  t.truthy(authorised.authorisationCode);
  t.is((await h.terminal.reader(h.readerId)).status, 'online');
  const first = await h.terminal.capture({ paymentId: payment.paymentId, amountCents: 1200, idempotencyKey: 'cap-1' });
  const again = await h.terminal.capture({ paymentId: payment.paymentId, amountCents: 1200, idempotencyKey: 'cap-1' });
  t.is(first.status, 'captured');
  t.is(again.status, 'captured');
  t.is(h.terminal.payments().find((p) => p.paymentId === payment.paymentId)?.captureCount, 1);
  // A different key cannot capture twice, and a captured payment cannot be voided.
  await t.throwsAsync(h.terminal.capture({ paymentId: payment.paymentId, amountCents: 1200, idempotencyKey: 'cap-2' }));
  await t.throwsAsync(h.terminal.void({ paymentId: payment.paymentId, idempotencyKey: 'void-1' }));
});

for (const [outcome, failure] of [
  ['decline', 'declined'],
  ['insufficient_funds', 'insufficient_funds'],
  ['card_removed', 'card_removed'],
  ['timeout', 'timeout'],
] as const) {
  test(`${outcome}: the payment is back to awaiting_card with lastFailure ${failure}; another card may be tried`, async (t) => {
    const h = await testTerminalHarness();
    const payment = await waiting(h);
    await h.present(h.readerId, outcome);
    const after = await h.terminal.payment(payment.paymentId);
    t.is(after.status, 'awaiting_card');
    t.is(after.lastFailure, failure);
    t.is(after.card, undefined);
    await h.terminal.collect({ readerId: h.readerId, paymentId: payment.paymentId, idempotencyKey: key('collect') });
    await h.present(h.readerId, 'approve');
    t.is((await h.terminal.payment(payment.paymentId)).status, 'authorised');
  });
}

test('a reader left waiting times out on the clock; cancel frees it; void releases an authorisation once', async (t) => {
  const h = await testTerminalHarness();
  const payment = await waiting(h);
  await h.clock.tick(60_000);
  t.is((await h.terminal.payment(payment.paymentId)).lastFailure, 'timeout');
  t.is((await h.terminal.reader(h.readerId)).status, 'online');

  await h.terminal.collect({ readerId: h.readerId, paymentId: payment.paymentId, idempotencyKey: key('collect') });
  await h.terminal.cancelCollect({ readerId: h.readerId, idempotencyKey: key('cancel') });
  t.is((await h.terminal.payment(payment.paymentId)).lastFailure, 'cancelled');
  t.is((await h.terminal.reader(h.readerId)).status, 'online');
  await t.throwsAsync(h.present(h.readerId, 'approve'), { message: /No payment is waiting/ });

  await h.terminal.collect({ readerId: h.readerId, paymentId: payment.paymentId, idempotencyKey: key('collect') });
  await h.present(h.readerId, 'approve');
  t.is((await h.terminal.void({ paymentId: payment.paymentId, idempotencyKey: 'v' })).status, 'voided');
  t.is((await h.terminal.void({ paymentId: payment.paymentId, idempotencyKey: 'v' })).status, 'voided');
  await t.throwsAsync(h.terminal.capture({ paymentId: payment.paymentId, amountCents: 1200, idempotencyKey: 'c' }));
});

test('an offline reader refuses to collect; a busy reader refuses a second payment; createAuthorisation is idempotent', async (t) => {
  const h = await testTerminalHarness();
  t.is((await h.terminal.reader(h.offlineReaderId)).status, 'offline');
  const p = await h.terminal.createAuthorisation({
    saleId: 's',
    amountCents: 500,
    currency: 'EUR',
    description: 'x',
    idempotencyKey: 'same-key',
  });
  const again = await h.terminal.createAuthorisation({
    saleId: 's',
    amountCents: 500,
    currency: 'EUR',
    description: 'x',
    idempotencyKey: 'same-key',
  });
  t.is(again.paymentId, p.paymentId);
  const err = await t.throwsAsync(
    h.terminal.collect({ readerId: h.offlineReaderId, paymentId: p.paymentId, idempotencyKey: key('c') }),
  );
  t.true(isAppError(err, 'card_reader_offline'));
  await waiting(h);
  const busy = await t.throwsAsync(
    h.terminal.collect({ readerId: h.readerId, paymentId: p.paymentId, idempotencyKey: key('c') }),
  );
  t.true(isAppError(busy, 'card_reader_busy'));
  // Unplugging a reader fails the payment waiting on it.
  const waitingPayment = h.terminal.payments().at(-1)!;
  h.terminal.setOffline(h.readerId, true);
  t.is((await h.terminal.payment(waitingPayment.paymentId)).lastFailure, 'reader_offline');
});

test('no card data beyond brand and last four is ever in a payment', async (t) => {
  const h = await testTerminalHarness();
  const payment = await waiting(h);
  await h.present(h.readerId, 'approve');
  const json = JSON.stringify(await h.terminal.payment(payment.paymentId));
  t.notRegex(json, /\d{12,19}/, 'no card number');
  t.notRegex(json, /track|pin|cvc|expiry/i);
});

test('reader ids are data, never object keys that reach Object.prototype (__proto__, constructor), also after a restart', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'vpm-terminal-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const statePath = join(dir, 'test-card-terminal.json');
  const clock = new ManualClock(1_750_000_000_000);
  const terminal = new TestCardTerminal({ clock, random: cryptoRandom, statePath });
  const names = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'];
  try {
    for (const readerId of names) {
      t.is((await terminal.reader(readerId)).status, 'online', readerId);
      terminal.setOffline(readerId, true);
      t.is((await terminal.reader(readerId)).status, 'offline', readerId);
    }
    const payment = await terminal.createAuthorisation({
      saleId: '__proto__',
      amountCents: 500,
      currency: 'EUR',
      description: '1 print',
      idempotencyKey: '__proto__',
    });
    terminal.setOffline('__proto__', false);
    await terminal.collect({ readerId: '__proto__', paymentId: payment.paymentId, idempotencyKey: 'constructor' });
    t.is((await terminal.reader('__proto__')).status, 'busy');
    t.is((await terminal.reader('tmr_other')).status, 'online', 'another reader is not waiting on that payment');
    t.deepEqual(Object.keys(Object.prototype), [], 'Object.prototype untouched');
    t.is(({} as Record<string, unknown>).offline, undefined);
    t.is(({} as Record<string, unknown>).pending, undefined);

    const restarted = new TestCardTerminal({ clock, random: cryptoRandom, statePath });
    t.is((await restarted.reader('__proto__')).status, 'busy', 'the books are read back as they were written');
    t.is((await restarted.reader('constructor')).status, 'offline');
    t.is((await restarted.reader('tmr_other')).status, 'online');
    t.is(
      (
        await restarted.createAuthorisation({
          saleId: 'x',
          amountCents: 500,
          currency: 'EUR',
          description: '1 print',
          idempotencyKey: '__proto__',
        })
      ).paymentId,
      payment.paymentId,
      'idempotency keys survive too',
    );
  } finally {
    // Whatever failed above, leave no pollution behind for the other tests in this process.
    for (const k of ['offline', 'pending', 'readerId']) delete (Object.prototype as Record<string, unknown>)[k];
  }
});
