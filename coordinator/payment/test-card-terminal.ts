import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type Router from '@koa/router';
import { AppError } from '../../shared/errors.ts';
import type { Clock } from '../../shared/ports/clock.ts';
import { type Random, randomId } from '../../shared/ports/random.ts';
import { escapeHtml } from '../../shared/web/html.ts';
import type {
  CardAuthorisationRequest,
  CardFailure,
  CardPayment,
  CardReaderState,
  CardTerminal,
} from './card-terminal-port.ts';

/** What a person (demo page) or a test does at the simulated reader. */
export type TestCardOutcome = 'approve' | 'decline' | 'insufficient_funds' | 'card_removed' | 'timeout';
export const TEST_CARD_OUTCOMES: readonly TestCardOutcome[] = [
  'approve',
  'decline',
  'insufficient_funds',
  'card_removed',
  'timeout',
];
/** A reader waiting for a card gives up after this long, as real readers do. */
export const TEST_COLLECT_TIMEOUT_MS = 60_000;
/** The simulated card: a test card number's brand and last four digits, never a real card. */
const TEST_CARD = { brand: 'visa', last4: '4242' } as const;
/** Payments remembered (oldest forgotten first); plenty for a demo day. */
const MAX_PAYMENTS = 10_000;

interface TestPayment extends CardPayment {
  saleId: string;
  description: string;
  /** How often money actually moved: a capture that moved money twice would show 2 here. */
  captureCount: number;
  capturedCents: number;
  refundedCents?: number;
}

interface TestReader {
  readerId: string;
  offline: boolean;
  pending: { paymentId: string; since: number } | null;
}

interface TestTerminalState {
  payments: Record<string, TestPayment>;
  readers: Record<string, TestReader>;
  /** Idempotency key → payment id, for createAuthorisation, capture and void. */
  keys: Record<string, string>;
  /** Refund idempotency key → refund id. */
  refunds: Record<string, string>;
}

export interface TestCardTerminalOptions {
  clock: Clock;
  random: Random;
  /**
   * Where the simulated provider keeps its books (JSON). With it, the "provider" outlives a
   * coordinator killed with -9, as a real one does; without it, state is in memory.
   */
  statePath?: string;
  collectTimeoutMs?: number;
}

/**
 * A card terminal that behaves like a real server-driven one (Stripe Terminal style), for the demo
 * and tests; only active when configured (VPM_CARD_TERMINAL=test). Readers appear on first use
 * (online); a person taps a simulated card on /terminal/test, a test calls `present()`. Every
 * mutating call is idempotent on its key. No card data exists here beyond brand and last four.
 */
export class TestCardTerminal implements CardTerminal {
  readonly name = 'test';
  readonly #o: TestCardTerminalOptions;
  readonly #state: TestTerminalState;

  constructor(opts: TestCardTerminalOptions) {
    this.#o = opts;
    this.#state = opts.statePath ? loadState(opts.statePath) : emptyState();
  }

  async createAuthorisation(input: CardAuthorisationRequest): Promise<CardPayment> {
    const known = this.#state.keys[input.idempotencyKey];
    if (known && this.#state.payments[known]) return view(this.#state.payments[known]!);
    const paymentId = `tpi_${randomId(this.#o.random, 12)}`;
    this.#state.payments[paymentId] = {
      paymentId,
      saleId: input.saleId,
      description: input.description,
      status: 'awaiting_card',
      amountCents: input.amountCents,
      currency: input.currency,
      captureCount: 0,
      capturedCents: 0,
    };
    this.#state.keys[input.idempotencyKey] = paymentId;
    this.#forgetOldest();
    this.#save();
    return view(this.#state.payments[paymentId]!);
  }

  async collect(input: { readerId: string; paymentId: string; idempotencyKey: string }): Promise<void> {
    const payment = this.#payment(input.paymentId);
    const reader = this.#reader(input.readerId);
    if (reader.offline) throw new AppError('card_reader_offline');
    this.#expire(reader);
    if (reader.pending?.paymentId === input.paymentId) return;
    if (reader.pending) throw new AppError('card_reader_busy');
    if (payment.status !== 'awaiting_card') throw new AppError('card_payment_wrong_state');
    reader.pending = { paymentId: payment.paymentId, since: this.#o.clock.now() };
    delete payment.lastFailure;
    this.#save();
  }

  async cancelCollect(input: { readerId: string; idempotencyKey: string }): Promise<void> {
    const reader = this.#reader(input.readerId);
    if (!reader.pending) return;
    this.#fail(reader, 'cancelled');
    this.#save();
  }

  async payment(paymentId: string): Promise<CardPayment> {
    const payment = this.#payment(paymentId);
    for (const reader of Object.values(this.#state.readers)) this.#expire(reader);
    return view(payment);
  }

  async capture(input: { paymentId: string; amountCents: number; idempotencyKey: string }): Promise<CardPayment> {
    const payment = this.#payment(input.paymentId);
    if (this.#state.keys[input.idempotencyKey] === payment.paymentId && payment.status === 'captured') {
      return view(payment);
    }
    if (payment.status !== 'authorised') {
      throw new AppError(
        'card_payment_wrong_state',
        `This payment is ${payment.status}; only an authorised one is captured.`,
      );
    }
    if (input.amountCents > payment.amountCents) {
      throw new AppError('card_payment_wrong_state', 'A capture cannot take more than was authorised.');
    }
    payment.status = 'captured';
    payment.captureCount += 1;
    payment.capturedCents = input.amountCents;
    this.#state.keys[input.idempotencyKey] = payment.paymentId;
    this.#save();
    return view(payment);
  }

  async void(input: { paymentId: string; idempotencyKey: string }): Promise<CardPayment> {
    const payment = this.#payment(input.paymentId);
    if (payment.status === 'voided') return view(payment);
    if (payment.status === 'captured') {
      throw new AppError('card_payment_wrong_state', 'This payment was captured; refund it instead of voiding it.');
    }
    for (const reader of Object.values(this.#state.readers)) {
      if (reader.pending?.paymentId === payment.paymentId) reader.pending = null;
    }
    payment.status = 'voided';
    this.#state.keys[input.idempotencyKey] = payment.paymentId;
    this.#save();
    return view(payment);
  }

  async refund(input: {
    paymentId: string;
    amountCents: number;
    idempotencyKey: string;
  }): Promise<{ refundId: string }> {
    const payment = this.#payment(input.paymentId);
    const known = this.#state.refunds[input.idempotencyKey];
    if (known) return { refundId: known };
    // At most what is left of the capture: two refunds under two keys never give back more than was taken.
    if (payment.status !== 'captured' || input.amountCents > payment.capturedCents - (payment.refundedCents ?? 0)) {
      throw new AppError('refund_failed', 'Only captured money can be refunded, at most what was captured.');
    }
    const refundId = `tre_${randomId(this.#o.random, 12)}`;
    payment.refundedCents = (payment.refundedCents ?? 0) + input.amountCents;
    this.#state.refunds[input.idempotencyKey] = refundId;
    this.#save();
    return { refundId };
  }

  async reader(readerId: string): Promise<CardReaderState> {
    const reader = this.#reader(readerId);
    this.#expire(reader);
    return {
      readerId,
      status: reader.offline ? 'offline' : reader.pending ? 'busy' : 'online',
      label: `Test reader ${readerId}`,
    };
  }

  // --- the simulated reader: what a fan does with a card (tests and the demo page) ---

  /** A card held to the reader with the given outcome. */
  async present(readerId: string, outcome: TestCardOutcome): Promise<void> {
    const reader = this.#reader(readerId);
    if (reader.offline) throw new AppError('card_reader_offline');
    this.#expire(reader);
    if (!reader.pending) throw new AppError('card_not_waiting');
    if (outcome === 'approve') {
      const payment = this.#payment(reader.pending.paymentId);
      reader.pending = null;
      payment.status = 'authorised';
      payment.card = { ...TEST_CARD };
      payment.authorisationCode = this.#o.random.bytes(3).toString('hex').toUpperCase();
      delete payment.lastFailure;
    } else {
      this.#fail(reader, outcome === 'decline' ? 'declined' : outcome);
    }
    this.#save();
  }

  /** Unplugs (or plugs back) a reader; a payment waiting on it fails with `reader_offline`. */
  setOffline(readerId: string, offline: boolean): void {
    const reader = this.#reader(readerId);
    reader.offline = offline;
    if (offline && reader.pending) this.#fail(reader, 'reader_offline');
    this.#save();
  }

  /** Every payment the simulated provider holds (tests and the fault checker read the books). */
  payments(): ReadonlyArray<Readonly<TestPayment>> {
    return Object.values(this.#state.payments).map((p) => structuredClone(p));
  }

  /** The demo's "tap a card" page: every reader, what it waits for, and a button per outcome. */
  mount(router: Router): void {
    router.get('/terminal/test', (ctx) => {
      ctx.set('cache-control', 'no-store');
      ctx.set('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'");
      ctx.type = 'html';
      ctx.body = this.#page();
    });
    router.post('/terminal/test/readers/:readerId/present', async (ctx) => {
      const outcome = (ctx.request as { body?: Record<string, unknown> }).body?.outcome;
      if (!TEST_CARD_OUTCOMES.includes(outcome as TestCardOutcome)) {
        throw new AppError('invalid_input', `outcome must be one of ${TEST_CARD_OUTCOMES.join(', ')}.`);
      }
      await this.present(ctx.params.readerId!, outcome as TestCardOutcome);
      ctx.redirect('/terminal/test');
    });
    router.post('/terminal/test/readers/:readerId/offline', async (ctx) => {
      const body = (ctx.request as { body?: Record<string, unknown> }).body ?? {};
      this.setOffline(ctx.params.readerId!, body.offline === 'true');
      ctx.redirect('/terminal/test');
    });
  }

  #page(): string {
    const rows = Object.values(this.#state.readers).map((r) => {
      this.#expire(r);
      const pending = r.pending ? this.#state.payments[r.pending.paymentId] : undefined;
      const id = encodeURIComponent(r.readerId);
      const what = r.offline
        ? 'offline'
        : pending
          ? `waiting for a card: ${(pending.amountCents / 100).toFixed(2)} ${escapeHtml(pending.currency)}`
          : 'idle';
      const buttons = pending
        ? TEST_CARD_OUTCOMES.map(
            (o) => `<button name="outcome" value="${o}" data-outcome="${o}">${o.replace('_', ' ')}</button>`,
          ).join(' ')
        : '';
      return `<section data-reader="${escapeHtml(r.readerId)}"><h2>${escapeHtml(r.readerId)}</h2><p class="state">${what}</p>
<form method="post" action="/terminal/test/readers/${id}/present">${buttons}</form>
<form method="post" action="/terminal/test/readers/${id}/offline"><button name="offline" value="${r.offline ? 'false' : 'true'}">${r.offline ? 'Plug the reader back in' : 'Unplug the reader'}</button></form></section>`;
    });
    return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="refresh" content="2"><title>Test card reader</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}button{font-size:1.1rem;padding:.6rem 1rem;margin:.2rem}section{border:1px solid #ccc;border-radius:8px;padding:0 1rem 1rem;margin:1rem 0}</style></head>
<body><h1>Test card reader</h1><p>The test card terminal: no money moves. Tap a simulated card when a kiosk waits for one.
(Phone payments waiting at kiosks, with the test checkout: <a href="/pay/test-kiosk">/pay/test-kiosk</a>.)</p>
${rows.join('\n') || '<p>No reader has been used yet: start a card payment at a kiosk.</p>'}</body></html>`;
  }

  #payment(paymentId: string): TestPayment {
    const payment = this.#state.payments[paymentId];
    if (!payment) throw new AppError('card_payment_not_found');
    return payment;
  }

  #reader(readerId: string): TestReader {
    let reader = this.#state.readers[readerId];
    if (!reader) {
      reader = { readerId, offline: false, pending: null };
      this.#state.readers[readerId] = reader;
    }
    return reader;
  }

  /** A reader waiting too long times out, as real ones do (on the Clock, so tests move time). */
  #expire(reader: TestReader): void {
    const limit = this.#o.collectTimeoutMs ?? TEST_COLLECT_TIMEOUT_MS;
    if (reader.pending && this.#o.clock.now() - reader.pending.since >= limit) {
      this.#fail(reader, 'timeout');
      this.#save();
    }
  }

  #fail(reader: TestReader, failure: CardFailure): void {
    const payment = reader.pending ? this.#state.payments[reader.pending.paymentId] : undefined;
    reader.pending = null;
    if (payment && payment.status === 'awaiting_card') payment.lastFailure = failure;
  }

  #forgetOldest(): void {
    const ids = Object.keys(this.#state.payments);
    if (ids.length <= MAX_PAYMENTS) return;
    delete this.#state.payments[ids[0]!];
  }

  #save(): void {
    const path = this.#o.statePath;
    if (!path) return;
    writeFileSync(`${path}.tmp`, JSON.stringify(this.#state), { mode: 0o600 });
    renameSync(`${path}.tmp`, path);
  }
}

function view(p: TestPayment): CardPayment {
  return {
    paymentId: p.paymentId,
    status: p.status,
    amountCents: p.amountCents,
    currency: p.currency,
    ...(p.lastFailure ? { lastFailure: p.lastFailure } : {}),
    ...(p.card ? { card: { ...p.card } } : {}),
    ...(p.authorisationCode ? { authorisationCode: p.authorisationCode } : {}),
  };
}

/**
 * The books are keyed by ids from outside (a reader id comes from a kiosk or the page's URL): maps
 * without a prototype, so `__proto__` or `constructor` is just another reader, never Object.prototype.
 */
function dictionary<T>(entries: Record<string, T> = {}): Record<string, T> {
  return Object.assign(Object.create(null) as Record<string, T>, entries);
}

function emptyState(): TestTerminalState {
  return { payments: dictionary(), readers: dictionary(), keys: dictionary(), refunds: dictionary() };
}

function loadState(path: string): TestTerminalState {
  let saved: Partial<TestTerminalState>;
  try {
    saved = JSON.parse(readFileSync(path, 'utf8')) as Partial<TestTerminalState>;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return emptyState();
    throw err;
  }
  return {
    payments: dictionary(saved.payments),
    readers: dictionary(saved.readers),
    keys: dictionary(saved.keys),
    refunds: dictionary(saved.refunds),
  };
}
