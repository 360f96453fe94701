import test from 'ava';
import { cardFailureOf, StripeCardTerminal } from '../coordinator/payment/stripe-card-terminal.ts';
import { createStripeClient } from '../coordinator/payment/stripe-client.ts';
import { isAppError } from '../shared/errors.ts';
import {
  type CardTerminalHarness,
  cardTerminalContract,
  type PresentOutcome,
} from './contracts/card-terminal-contract.ts';
import { StripeFixtureServer } from './fixtures/stripe-fixture-server.ts';
import { TEST_CARDS } from './fixtures/stripe-fixture-state.ts';

/** Stripe's documented Terminal test cards, per outcome; the reader-side failures have no card. */
const CARD_FOR: Partial<Record<PresentOutcome, string>> = {
  approve: TEST_CARDS.visa,
  decline: TEST_CARDS.declined,
  insufficient_funds: TEST_CARDS.insufficientFunds,
};

async function stripeHarness(): Promise<CardTerminalHarness & { fixture: StripeFixtureServer }> {
  const fixture = new StripeFixtureServer();
  const apiUrl = await fixture.listen();
  const readerId = fixture.addReader({ label: 'Gate 3 kiosk', status: 'online' });
  const offlineReaderId = fixture.addReader({ label: 'Gate 9 kiosk', status: 'offline' });
  const stripe = createStripeClient({ secretKey: fixture.secretKey, apiUrl, maxNetworkRetries: 0 });
  return {
    fixture,
    terminal: new StripeCardTerminal({ stripe }),
    readerId,
    offlineReaderId,
    async present(reader, outcome) {
      const number = CARD_FOR[outcome];
      if (number) {
        // The documented test helper, called through the SDK as a Stripe test suite would.
        await stripe.testHelpers.terminal.readers.presentPaymentMethod(reader, {
          type: 'card_present',
          card_present: { number },
        });
      } else {
        fixture.state.failReaderAction(reader, outcome === 'timeout' ? 'card_read_timed_out' : 'card_removed');
      }
    },
    close: () => fixture.close(),
  };
}

cardTerminalContract('stripe', stripeHarness);

test('stripe terminal: the SDK sends a manual-capture card_present PaymentIntent with the sale id and our idempotency keys', async (t) => {
  const h = await stripeHarness();
  t.teardown(() => h.close());
  const payment = await h.terminal.createAuthorisation({
    saleId: 'sale-42',
    amountCents: 1_500,
    currency: 'EUR',
    description: '2 prints at Gate 3',
    idempotencyKey: 'auth:sale-42',
  });
  await h.terminal.collect({ readerId: h.readerId, paymentId: payment.paymentId, idempotencyKey: 'collect:sale-42:1' });
  const create = h.fixture.requests.find((r) => r.method === 'POST' && r.path === '/v1/payment_intents');
  t.deepEqual(create?.params, {
    amount: '1500',
    currency: 'eur',
    allowed_payment_method_types: ['card_present'],
    capture_method: 'manual',
    description: '2 prints at Gate 3',
    metadata: { saleId: 'sale-42' },
  });
  t.is(create?.idempotencyKey, 'auth:sale-42');
  t.truthy(create?.stripeVersion, 'the SDK pins its API version');
  const process = h.fixture.requests.find((r) => r.path.endsWith('/process_payment_intent'));
  t.is(process?.path, `/v1/terminal/readers/${h.readerId}/process_payment_intent`);
  t.deepEqual(process?.params, { payment_intent: payment.paymentId });
  t.is(process?.idempotencyKey, 'collect:sale-42:1');
});

test('stripe terminal: a repeated collect (coordinator restarted mid-flow) replays instead of failing as busy', async (t) => {
  const h = await stripeHarness();
  t.teardown(() => h.close());
  const p = await h.terminal.createAuthorisation({
    saleId: 's',
    amountCents: 900,
    currency: 'EUR',
    description: 'x',
    idempotencyKey: 'a',
  });
  await h.terminal.collect({ readerId: h.readerId, paymentId: p.paymentId, idempotencyKey: 'collect-once' });
  await h.terminal.collect({ readerId: h.readerId, paymentId: p.paymentId, idempotencyKey: 'collect-once' });
  t.true(h.fixture.requests.some((r) => r.replayed && r.path.endsWith('/process_payment_intent')));
  // A different key for another payment while the reader is busy is refused with a coded error.
  const other = await h.terminal.createAuthorisation({
    saleId: 't',
    amountCents: 900,
    currency: 'EUR',
    description: 'x',
    idempotencyKey: 'b',
  });
  const err = await t.throwsAsync(
    h.terminal.collect({ readerId: h.readerId, paymentId: other.paymentId, idempotencyKey: 'collect-other' }),
  );
  t.true(isAppError(err, 'card_reader_busy'), String(err));
});

test('stripe terminal: offline reader and unknown reader are coded errors', async (t) => {
  const h = await stripeHarness();
  t.teardown(() => h.close());
  const p = await h.terminal.createAuthorisation({
    saleId: 's',
    amountCents: 900,
    currency: 'EUR',
    description: 'x',
    idempotencyKey: 'a',
  });
  const offline = await t.throwsAsync(
    h.terminal.collect({ readerId: h.offlineReaderId, paymentId: p.paymentId, idempotencyKey: 'k' }),
  );
  t.true(isAppError(offline, 'card_reader_offline'), String(offline));
  const unknown = await t.throwsAsync(h.terminal.reader('tmr_nosuchreader'));
  t.true(isAppError(unknown, 'card_reader_not_found'), String(unknown));
});

test('stripe failure codes map to the port reasons; unknown codes are declines (nothing taken)', (t) => {
  t.is(cardFailureOf('card_declined', 'insufficient_funds'), 'insufficient_funds');
  t.is(cardFailureOf('card_declined', 'generic_decline'), 'declined');
  t.is(cardFailureOf('expired_card'), 'declined');
  t.is(cardFailureOf('incorrect_pin'), 'declined');
  t.is(cardFailureOf('card_read_timed_out'), 'timeout');
  t.is(cardFailureOf('terminal_reader_timeout'), 'timeout');
  t.is(cardFailureOf('card_removed'), 'card_removed');
  t.is(cardFailureOf('terminal_reader_offline'), 'reader_offline');
  t.is(cardFailureOf('canceled'), 'cancelled');
  t.is(cardFailureOf('something_new'), 'declined');
  t.is(cardFailureOf(null), undefined);
});

test('stripe terminal: errors carry Stripe’s code and request id only, never the payment method of a declined card', async (t) => {
  const h = await stripeHarness();
  t.teardown(() => h.close());
  const p = await h.terminal.createAuthorisation({
    saleId: 's',
    amountCents: 900,
    currency: 'EUR',
    description: 'x',
    idempotencyKey: 'a',
  });
  await h.terminal.collect({ readerId: h.readerId, paymentId: p.paymentId, idempotencyKey: 'c' });
  await h.present(h.readerId, 'decline');
  const err = await t.throwsAsync(
    h.terminal.capture({ paymentId: p.paymentId, amountCents: 900, idempotencyKey: 'k' }),
  );
  t.true(isAppError(err, 'card_payment_wrong_state'), String(err));
  const offline = await t.throwsAsync(
    h.terminal.collect({ readerId: h.offlineReaderId, paymentId: p.paymentId, idempotencyKey: 'o' }),
  );
  for (const e of [err, offline]) {
    t.is((e as Error).cause, undefined, 'the SDK error (and its raw body) is not kept');
    const text = JSON.stringify({ message: e?.message, details: (e as { details?: unknown }).details });
    t.notRegex(text, /0002|card_present|exp_|brand/);
  }
  t.like((offline as { details?: Record<string, unknown> }).details, {
    provider: 'stripe',
    stripeCode: 'terminal_reader_offline',
  });
});

test('stripe terminal: a response lost after Stripe did the work is retried by the SDK with the same key: one payment, one capture', async (t) => {
  const fixture = new StripeFixtureServer();
  const apiUrl = await fixture.listen();
  t.teardown(() => fixture.close());
  const readerId = fixture.addReader({ label: 'Gate 3 kiosk', status: 'online' });
  // The production retry setting, not the tests' 0.
  const terminal = new StripeCardTerminal({ stripe: createStripeClient({ secretKey: fixture.secretKey, apiUrl }) });
  fixture.loseResponseOnce('POST', '/v1/payment_intents');
  const p = await terminal.createAuthorisation({
    saleId: 'lost-1',
    amountCents: 1_100,
    currency: 'EUR',
    description: 'x',
    idempotencyKey: 'auth:lost-1',
  });
  t.is(fixture.state.intents.size, 1, 'the retry was replayed, not a second authorisation');
  await terminal.collect({ readerId, paymentId: p.paymentId, idempotencyKey: 'collect:lost-1:1' });
  fixture.state.presentPaymentMethod(readerId, { card_present: { number: TEST_CARDS.visa } });
  fixture.loseResponseOnce('POST', `/v1/payment_intents/${p.paymentId}/capture`);
  const captured = await terminal.capture({
    paymentId: p.paymentId,
    amountCents: 1_100,
    idempotencyKey: 'capture:lost-1',
  });
  t.is(captured.status, 'captured');
  const captures = fixture.requests.filter((r) => r.path.endsWith('/capture'));
  t.is(captures.length, 2, 'sent twice');
  t.deepEqual(
    captures.map((r) => [r.idempotencyKey, r.replayed]),
    [
      ['capture:lost-1', false],
      ['capture:lost-1', true],
    ],
  );
});
