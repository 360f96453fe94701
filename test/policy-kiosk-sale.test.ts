import test from 'ava';
import fc from 'fast-check';
import {
  cardSettlement,
  includedTaxCents,
  KIOSK_SALE_STATES,
  type KioskSaleEvent,
  type KioskSaleState,
  nextSaleState,
} from '../shared/policy/kiosk-sale-state.ts';

const EVENTS: KioskSaleEvent[] = [
  'payment_started',
  'authorised',
  'paid',
  'print_started',
  'all_printed',
  'captured',
  'voided',
  'cancelled',
  'expired',
  'refunded',
];

test('card happy path: created → awaiting_payment → authorised → printing → printed → captured', (t) => {
  let s: KioskSaleState | null = 'created';
  for (const e of ['payment_started', 'authorised', 'print_started', 'all_printed', 'captured'] as const) {
    s = nextSaleState('kiosk-card', s!, e);
  }
  t.is(s, 'captured');
});

test('phone happy path ends fulfilled; a phone sale is never captured or authorised', (t) => {
  let s: KioskSaleState | null = 'created';
  for (const e of ['payment_started', 'paid', 'print_started', 'all_printed'] as const)
    s = nextSaleState('kiosk-phone', s!, e);
  t.is(s, 'fulfilled');
  for (const state of KIOSK_SALE_STATES) {
    t.is(nextSaleState('kiosk-phone', state, 'captured'), null);
    t.is(nextSaleState('kiosk-phone', state, 'authorised'), null);
  }
});

test('money rule, over every event sequence: a card sale is captured only through printed, and never both captured and voided', (t) => {
  fc.assert(
    fc.property(fc.array(fc.constantFrom(...EVENTS), { maxLength: 30 }), (events) => {
      let s: KioskSaleState = 'created';
      const seen: KioskSaleState[] = [s];
      for (const e of events) {
        const next = nextSaleState('kiosk-card', s, e);
        if (next) {
          if (next === 'captured' && s !== 'printed') return false;
          s = next;
          seen.push(s);
        }
      }
      return !(seen.includes('captured') && seen.includes('voided'));
    }),
  );
  t.pass();
});

test('settlement follows the order: capture only when fulfilled, void only when cancelled', (t) => {
  t.is(cardSettlement('printing', 'fulfilled'), 'capture');
  t.is(cardSettlement('authorised', 'cancelled'), 'void');
  t.is(cardSettlement('authorised', 'redeeming'), 'mark_printing');
  t.is(cardSettlement('printing', 'redeeming'), 'wait');
  t.is(cardSettlement('captured', 'fulfilled'), 'none');
  t.is(cardSettlement('awaiting_payment', 'fulfilled'), 'none');
});

test('included tax: 19 % of a 20.00 gross is 3.19; 0 % is nothing', (t) => {
  t.is(includedTaxCents(2000, 19), 319);
  t.is(includedTaxCents(2000, 0), 0);
});
