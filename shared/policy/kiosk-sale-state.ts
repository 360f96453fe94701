/**
 * The kiosk sale state machine (issue #13): a basket bought at a printer's kiosk, paid by the fan's
 * phone (hosted checkout + verified webhook) or by card on the station's reader (authorise, print,
 * then capture). Pure and shared: the coordinator stores it with "update where state in from", the
 * kiosk and the dashboard read it.
 *
 * Card:  created ─▶ awaiting_payment ─authorised─▶ authorised ─▶ printing ─▶ printed ─captured─▶ captured
 *          └──────────┴─cancelled/expired                └───────────┴─voided (print failed, cancel, expiry)
 * Phone: created ─▶ awaiting_payment ─paid─▶ paid ─▶ printing ─▶ fulfilled
 *          └──────────┴─cancelled/expired       └────────┴─refunded (print failed)
 *
 * The money rule sits in the card table: `captured` is reachable only from `printed`, and `voided`
 * never from `printed`; so a sale is captured only after every print came out, and never both
 * captured and voided.
 */
/** What a kiosk basket of event photos is paid with. */
export const KIOSK_BASKET_CHANNELS = ['kiosk-phone', 'kiosk-card'] as const;
/**
 * Every sale channel: a basket, or (`own-photo-card`) a fan's own-photo job paid by card at the
 * kiosk, whose print side is the job itself (services/own-photo-card-sales.ts), not an order.
 */
export const KIOSK_SALE_CHANNELS = [...KIOSK_BASKET_CHANNELS, 'own-photo-card'] as const;
export type KioskSaleChannel = (typeof KIOSK_SALE_CHANNELS)[number];

export const KIOSK_SALE_STATES = [
  'created',
  'awaiting_payment',
  'authorised',
  'paid',
  'printing',
  'printed',
  'captured',
  'fulfilled',
  'voided',
  'cancelled',
  'expired',
  'refunded',
] as const;
export type KioskSaleState = (typeof KIOSK_SALE_STATES)[number];

export type KioskSaleEvent =
  | 'payment_started'
  | 'authorised'
  | 'paid'
  | 'print_started'
  | 'all_printed'
  | 'captured'
  | 'voided'
  | 'cancelled'
  | 'expired'
  | 'refunded';

type Table = Partial<Record<KioskSaleEvent, { from: readonly KioskSaleState[]; to: KioskSaleState }>>;

const CARD: Table = {
  payment_started: { from: ['created'], to: 'awaiting_payment' },
  authorised: { from: ['awaiting_payment'], to: 'authorised' },
  print_started: { from: ['authorised'], to: 'printing' },
  all_printed: { from: ['authorised', 'printing'], to: 'printed' },
  captured: { from: ['printed'], to: 'captured' },
  voided: { from: ['created', 'awaiting_payment', 'authorised', 'printing'], to: 'voided' },
  cancelled: { from: ['created', 'awaiting_payment'], to: 'cancelled' },
  expired: { from: ['created', 'awaiting_payment'], to: 'expired' },
  refunded: { from: ['captured'], to: 'refunded' },
};

const PHONE: Table = {
  payment_started: { from: ['created'], to: 'awaiting_payment' },
  paid: { from: ['awaiting_payment'], to: 'paid' },
  print_started: { from: ['paid'], to: 'printing' },
  all_printed: { from: ['paid', 'printing'], to: 'fulfilled' },
  cancelled: { from: ['created', 'awaiting_payment'], to: 'cancelled' },
  expired: { from: ['created', 'awaiting_payment'], to: 'expired' },
  refunded: { from: ['paid', 'printing', 'fulfilled'], to: 'refunded' },
};

const TABLES: Readonly<Record<KioskSaleChannel, Table>> = {
  'kiosk-card': CARD,
  'kiosk-phone': PHONE,
  'own-photo-card': CARD,
};

/** States a sale never leaves (except a captured or fulfilled sale an operator refunds). */
export const KIOSK_SALE_FINAL_STATES: ReadonlySet<KioskSaleState> = new Set([
  'captured',
  'fulfilled',
  'voided',
  'cancelled',
  'expired',
  'refunded',
]);

/** The fan has paid (or the card holds the money) and the prints are owed. */
export const KIOSK_SALE_PAID_STATES: ReadonlySet<KioskSaleState> = new Set(['authorised', 'paid', 'printing']);

/** The states `event` may be applied in for a sale of `channel` (empty: never). */
export function saleFromStates(channel: KioskSaleChannel, event: KioskSaleEvent): readonly KioskSaleState[] {
  return TABLES[channel][event]?.from ?? [];
}

/** The next state, or null when the event is not allowed in `state` for this channel. */
export function nextSaleState(
  channel: KioskSaleChannel,
  state: KioskSaleState,
  event: KioskSaleEvent,
): KioskSaleState | null {
  const t = TABLES[channel][event];
  return t?.from.includes(state) ? t.to : null;
}

export function isFinalSaleState(state: KioskSaleState): boolean {
  return KIOSK_SALE_FINAL_STATES.has(state);
}

/**
 * What the coordinator does about a card sale whose order (the print side) is in `orderState`:
 * capture once every unit printed, void when the order was cancelled (print failed, fan cancelled,
 * expiry) before it was fulfilled, otherwise wait. The order is the one lock both sides share, so
 * capture and void can never both happen.
 */
export function cardSettlement(
  saleState: KioskSaleState,
  orderState: string,
): 'capture' | 'void' | 'mark_printing' | 'wait' | 'none' {
  if (saleState === 'captured' || saleState === 'voided' || saleState === 'refunded') return 'none';
  if (!['authorised', 'printing', 'printed'].includes(saleState)) return 'none';
  if (orderState === 'fulfilled') return 'capture';
  if (orderState === 'cancelled') return 'void';
  if (orderState === 'redeeming' && saleState === 'authorised') return 'mark_printing';
  return 'wait';
}

/** Tax included in a gross total at `ratePercent` (e.g. 19 → 19 %), rounded to the nearest cent. */
export function includedTaxCents(totalCents: number, ratePercent: number): number {
  if (ratePercent <= 0) return 0;
  return Math.round((totalCents * ratePercent) / (100 + ratePercent));
}
