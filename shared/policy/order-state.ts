/**
 * The order state machine, shared by the coordinator (which stores it) and the edge node (which
 * shows it). Stores apply a transition atomically with "update where state in fromStates(event)".
 *
 *   awaiting_payment ──paid──▶ paid ──claimed──▶ redeeming ──all_printed──▶ fulfilled
 *        │   ▲                  ▲                    │
 *        │   └─(retry)─ payment_failed               └──released (timeout/operator)──▶ paid
 *        └──cancelled──▶ cancelled
 */
export const ORDER_STATES = [
  'awaiting_payment',
  'payment_failed',
  'cancelled',
  'paid',
  'redeeming',
  'fulfilled',
] as const;
export type OrderState = (typeof ORDER_STATES)[number];

export type OrderEvent =
  | 'payment_succeeded'
  | 'payment_failed'
  | 'payment_cancelled'
  | 'claimed'
  | 'released'
  | 'all_printed'
  /** A kiosk card sale's authorisation was voided (print failed, cancel, expiry): nothing more prints. */
  | 'payment_voided';

const TRANSITIONS: Readonly<Record<OrderEvent, { from: readonly OrderState[]; to: OrderState }>> = {
  payment_succeeded: { from: ['awaiting_payment', 'payment_failed'], to: 'paid' },
  payment_failed: { from: ['awaiting_payment'], to: 'payment_failed' },
  payment_cancelled: { from: ['awaiting_payment', 'payment_failed'], to: 'cancelled' },
  // A claim can be taken again by its holder (idempotent retry) or after a release.
  claimed: { from: ['paid', 'redeeming'], to: 'redeeming' },
  released: { from: ['redeeming'], to: 'paid' },
  all_printed: { from: ['redeeming'], to: 'fulfilled' },
  payment_voided: { from: ['awaiting_payment', 'paid', 'redeeming'], to: 'cancelled' },
};

export function fromStates(event: OrderEvent): readonly OrderState[] {
  return TRANSITIONS[event].from;
}

export function targetState(event: OrderEvent): OrderState {
  return TRANSITIONS[event].to;
}

/** The next state, or null when the event is not allowed in `state`. */
export function nextOrderState(state: OrderState, event: OrderEvent): OrderState | null {
  const t = TRANSITIONS[event];
  return t.from.includes(state) ? t.to : null;
}

export interface OrderItem {
  imageId: string;
  copies: number;
}

/** One physical print: the unit a printer confirms. */
export interface PrintUnit {
  unit: number;
  imageId: string;
  copy: number;
}

export function expandPrintUnits(items: readonly OrderItem[]): PrintUnit[] {
  const units: PrintUnit[] = [];
  for (const item of items) {
    for (let copy = 1; copy <= item.copies; copy++) units.push({ unit: units.length, imageId: item.imageId, copy });
  }
  return units;
}
