import { setTimeout as delay } from 'node:timers/promises';
import test, { type ExecutionContext } from 'ava';
import type { CardPayment, CardTerminal } from '../../coordinator/payment/card-terminal-port.ts';
import { isAppError } from '../../shared/errors.ts';

/**
 * The CardTerminal port's contract: every adapter (Stripe Terminal against the fixture server, the
 * `test` terminal of the demo) passes the same suite, so the kiosk's sale flow can rely on one
 * behaviour. The suite drives the adapter only through the port plus `present`, which plays the fan
 * at the reader.
 */

export type PresentOutcome = 'approve' | 'decline' | 'insufficient_funds' | 'card_removed' | 'timeout';

export interface CardTerminalHarness {
  terminal: CardTerminal;
  /** A reader that is online and idle at the start of each test. */
  readerId: string;
  /** A reader the provider reports as offline. */
  offlineReaderId: string;
  /** What the fan does at the reader while it is collecting: a card that is approved, declined, … */
  present(readerId: string, outcome: PresentOutcome): Promise<void>;
  close(): Promise<void>;
}

export type MakeCardTerminalHarness = () => Promise<CardTerminalHarness>;

/** An adapter may take a moment to see the reader's result; the suite waits this long at most. */
const SETTLE_DEADLINE_MS = 5_000;
const SETTLE_POLL_MS = 10;
/** A full card number (PAN) anywhere in what the port returns would put our code in PCI scope. */
const PAN_PATTERN = /\d{13,19}/;

let saleCounter = 0;

function sale(amountCents = 1_250) {
  saleCounter += 1;
  const saleId = `sale-${process.pid}-${saleCounter}`;
  return { saleId, amountCents, currency: 'EUR', description: '3 prints', idempotencyKey: `auth:${saleId}` };
}

/** Polls `payment()` until the reader's attempt is decided (not `processing`, or a failure is known). */
async function settled(terminal: CardTerminal, paymentId: string, until: (p: CardPayment) => boolean) {
  const deadline = performance.now() + SETTLE_DEADLINE_MS;
  for (;;) {
    const p = await terminal.payment(paymentId);
    if (until(p) || performance.now() > deadline) return p;
    await delay(SETTLE_POLL_MS);
  }
}

const decided = (p: CardPayment) => p.status === 'authorised' || p.lastFailure !== undefined;

export function cardTerminalContract(name: string, make: MakeCardTerminalHarness): void {
  const contract = (title: string, body: (t: ExecutionContext, h: CardTerminalHarness) => Promise<void>) => {
    test(`card terminal contract (${name}): ${title}`, async (t) => {
      const h = await make();
      t.teardown(() => h.close());
      await body(t, h);
    });
  };

  /** An authorisation collected on the online reader, after the fan presented `outcome`. */
  async function collectWith(h: CardTerminalHarness, outcome: PresentOutcome, amountCents?: number) {
    const request = sale(amountCents);
    const created = await h.terminal.createAuthorisation(request);
    await h.terminal.collect({
      readerId: h.readerId,
      paymentId: created.paymentId,
      idempotencyKey: `collect:${request.saleId}:1`,
    });
    await h.present(h.readerId, outcome);
    const payment = await settled(h.terminal, created.paymentId, decided);
    return { request, created, payment };
  }

  contract('approve: authorised with brand, last4 and authorisation code, captured after printing', async (t, h) => {
    const request = sale(2_800);
    const created = await h.terminal.createAuthorisation(request);
    t.is(created.status, 'awaiting_card');
    t.is(created.amountCents, 2_800);
    t.is(created.currency, 'EUR');
    t.is(created.card, undefined);
    await h.terminal.collect({ readerId: h.readerId, paymentId: created.paymentId, idempotencyKey: 'c1' });
    t.is((await h.terminal.reader(h.readerId)).status, 'busy', 'the reader is busy while it collects');
    await h.present(h.readerId, 'approve');
    const authorised = await settled(h.terminal, created.paymentId, decided);
    t.is(authorised.status, 'authorised');
    t.is(authorised.lastFailure, undefined);
    t.truthy(authorised.card?.brand);
    t.regex(authorised.card?.last4 ?? '', /^\d{4}$/);
    t.truthy(authorised.authorisationCode);
    t.is((await h.terminal.reader(h.readerId)).status, 'online', 'idle again once the card was read');
    const captured = await h.terminal.capture({
      paymentId: created.paymentId,
      amountCents: 2_800,
      idempotencyKey: 'cap1',
    });
    t.is(captured.status, 'captured');
    t.is(captured.amountCents, 2_800);
    t.is((await h.terminal.payment(created.paymentId)).status, 'captured');
  });

  contract('capture is idempotent: a retried capture returns the same captured payment', async (t, h) => {
    const { created } = await collectWith(h, 'approve');
    const first = await h.terminal.capture({ paymentId: created.paymentId, amountCents: 1_250, idempotencyKey: 'cap' });
    const again = await h.terminal.capture({ paymentId: created.paymentId, amountCents: 1_250, idempotencyKey: 'cap' });
    t.is(first.status, 'captured');
    t.deepEqual(again, first);
    // Voiding a captured payment is refused (that would be a refund), and changes nothing.
    const err = await t.throwsAsync(h.terminal.void({ paymentId: created.paymentId, idempotencyKey: 'void-late' }));
    t.true(isAppError(err), String(err));
    t.is((await h.terminal.payment(created.paymentId)).status, 'captured');
  });

  contract('refund: captured money is given back once per key, never more than was captured', async (t, h) => {
    const refund = h.terminal.refund?.bind(h.terminal);
    t.truthy(refund, 'the adapter refunds (the console refunds card sales through it)');
    if (!refund) return;
    const { created } = await collectWith(h, 'approve', 2_000);
    // Not captured yet: an authorisation is voided, not refunded.
    const early = await t.throwsAsync(
      refund({ paymentId: created.paymentId, amountCents: 2_000, idempotencyKey: 'refund-early' }),
    );
    t.true(isAppError(early, 'refund_failed'), String(early));
    await h.terminal.capture({ paymentId: created.paymentId, amountCents: 2_000, idempotencyKey: 'cap-r' });
    const first = await refund({ paymentId: created.paymentId, amountCents: 1_500, idempotencyKey: 'refund-1' });
    t.truthy(first.refundId);
    // A retried request (same key) is the same refund, not a second one.
    t.deepEqual(await refund({ paymentId: created.paymentId, amountCents: 1_500, idempotencyKey: 'refund-1' }), first);
    // Another key beyond what is left (500 of 2000) is refused; the rest is accepted once.
    const tooMuch = await t.throwsAsync(
      refund({ paymentId: created.paymentId, amountCents: 1_500, idempotencyKey: 'refund-2' }),
    );
    t.true(isAppError(tooMuch, 'refund_failed'), String(tooMuch));
    const rest = await refund({ paymentId: created.paymentId, amountCents: 500, idempotencyKey: 'refund-3' });
    t.not(rest.refundId, first.refundId);
    t.is((await h.terminal.payment(created.paymentId)).status, 'captured', 'a refund does not undo the capture');
  });

  contract('createAuthorisation is idempotent on its key: one payment per sale however often retried', async (t, h) => {
    const request = sale();
    const a = await h.terminal.createAuthorisation(request);
    const b = await h.terminal.createAuthorisation(request);
    t.is(b.paymentId, a.paymentId);
    const other = await h.terminal.createAuthorisation(sale());
    t.not(other.paymentId, a.paymentId);
  });

  for (const [outcome, failure] of [
    ['decline', 'declined'],
    ['insufficient_funds', 'insufficient_funds'],
    ['card_removed', 'card_removed'],
    ['timeout', 'timeout'],
  ] as const) {
    contract(`${outcome}: stays uncaptured with lastFailure ${failure}, and cannot be captured`, async (t, h) => {
      const { created, payment } = await collectWith(h, outcome);
      t.is(payment.status, 'awaiting_card');
      t.is(payment.lastFailure, failure);
      t.is(payment.authorisationCode, undefined);
      const err = await t.throwsAsync(
        h.terminal.capture({ paymentId: created.paymentId, amountCents: 1_250, idempotencyKey: `cap-${outcome}` }),
      );
      t.true(isAppError(err), String(err));
      t.not((await h.terminal.payment(created.paymentId)).status, 'captured');
      t.is((await h.terminal.reader(h.readerId)).status, 'online', 'the reader is free for the next try');
    });
  }

  contract('after a decline the fan may try another card on the same payment', async (t, h) => {
    const { created } = await collectWith(h, 'decline');
    await h.terminal.collect({ readerId: h.readerId, paymentId: created.paymentId, idempotencyKey: 'collect-2' });
    const retrying = await h.terminal.payment(created.paymentId);
    t.is(retrying.lastFailure, undefined, 'a new attempt clears the old failure');
    await h.present(h.readerId, 'approve');
    const payment = await settled(h.terminal, created.paymentId, decided);
    t.is(payment.status, 'authorised');
  });

  contract('cancelCollect stops the reader; the payment stays uncaptured and can be voided', async (t, h) => {
    const request = sale();
    const created = await h.terminal.createAuthorisation(request);
    await h.terminal.collect({ readerId: h.readerId, paymentId: created.paymentId, idempotencyKey: 'c' });
    await h.terminal.cancelCollect({ readerId: h.readerId, idempotencyKey: 'cancel-1' });
    await h.terminal.cancelCollect({ readerId: h.readerId, idempotencyKey: 'cancel-1' });
    const payment = await settled(h.terminal, created.paymentId, decided);
    t.is(payment.status, 'awaiting_card');
    t.is(payment.lastFailure, 'cancelled');
    t.is((await h.terminal.reader(h.readerId)).status, 'online');
    const voided = await h.terminal.void({ paymentId: created.paymentId, idempotencyKey: 'v' });
    t.is(voided.status, 'voided');
  });

  contract(
    'void releases an authorisation (print failed); void is idempotent; capture after void is refused',
    async (t, h) => {
      const { created, payment } = await collectWith(h, 'approve');
      t.is(payment.status, 'authorised');
      const voided = await h.terminal.void({ paymentId: created.paymentId, idempotencyKey: 'void' });
      t.is(voided.status, 'voided');
      const again = await h.terminal.void({ paymentId: created.paymentId, idempotencyKey: 'void' });
      t.is(again.status, 'voided');
      const err = await t.throwsAsync(
        h.terminal.capture({ paymentId: created.paymentId, amountCents: 1_250, idempotencyKey: 'cap-after-void' }),
      );
      t.true(isAppError(err), String(err));
      t.is((await h.terminal.payment(created.paymentId)).status, 'voided');
    },
  );

  contract('a payment no card was presented for can be voided (the fan walked away)', async (t, h) => {
    const created = await h.terminal.createAuthorisation(sale());
    const voided = await h.terminal.void({ paymentId: created.paymentId, idempotencyKey: 'walk-away' });
    t.is(voided.status, 'voided');
  });

  contract('capture before authorisation is refused and changes nothing', async (t, h) => {
    const created = await h.terminal.createAuthorisation(sale());
    const err = await t.throwsAsync(
      h.terminal.capture({ paymentId: created.paymentId, amountCents: 1_250, idempotencyKey: 'too-early' }),
    );
    t.true(isAppError(err), String(err));
    t.is((await h.terminal.payment(created.paymentId)).status, 'awaiting_card');
  });

  contract('an offline reader says so, and collecting on it authorises nothing', async (t, h) => {
    t.is((await h.terminal.reader(h.offlineReaderId)).status, 'offline');
    t.is((await h.terminal.reader(h.readerId)).status, 'online');
    const created = await h.terminal.createAuthorisation(sale());
    // Adapters may refuse at once (an AppError) or report it on the payment (lastFailure reader_offline).
    let refused = false;
    try {
      await h.terminal.collect({ readerId: h.offlineReaderId, paymentId: created.paymentId, idempotencyKey: 'off' });
    } catch (err) {
      t.true(isAppError(err), String(err));
      refused = true;
    }
    const payment = refused
      ? await h.terminal.payment(created.paymentId)
      : await settled(h.terminal, created.paymentId, decided);
    t.is(payment.status, 'awaiting_card');
    if (!refused) t.is(payment.lastFailure, 'reader_offline');
  });

  contract('an unknown payment is an AppError, not a crash', async (t, h) => {
    const err = await t.throwsAsync(h.terminal.payment('pi_doesnotexist0000'));
    t.true(isAppError(err), String(err));
  });

  contract('what the port returns never holds a full card number', async (t, h) => {
    const { created, payment } = await collectWith(h, 'approve');
    const captured = await h.terminal.capture({
      paymentId: created.paymentId,
      amountCents: 1_250,
      idempotencyKey: 'k',
    });
    const reader = await h.terminal.reader(h.readerId);
    for (const value of [payment, captured, reader]) t.notRegex(JSON.stringify(value), PAN_PATTERN);
  });
}
