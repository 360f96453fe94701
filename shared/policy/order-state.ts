import { type OrderItemTemplate, type UnitTemplate, unitTemplateOf } from '../templates/order-template.ts';

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
  /** Issue #14: the template this print is framed with, its photos and its frozen fee. */
  template?: OrderItemTemplate;
}

/** One physical print: the unit a printer confirms. */
export interface PrintUnit {
  unit: number;
  imageId: string;
  copy: number;
  /** Issue #14: print framed with this template (absent: the photo alone). */
  template?: UnitTemplate;
}

export function expandPrintUnits(items: readonly OrderItem[]): PrintUnit[] {
  const units: PrintUnit[] = [];
  for (const item of items) {
    for (let copy = 1; copy <= item.copies; copy++) {
      const unit: PrintUnit = { unit: units.length, imageId: item.imageId, copy };
      if (item.template) unit.template = unitTemplateOf(item.template);
      units.push(unit);
    }
  }
  return units;
}

/**
 * After the event (issue #15): a reorder from home is paid like any order, then fulfilled by a lab
 * (the "second print-out apparatus") instead of a venue printer, and shipped:
 *
 *   paid ──sent_to_lab──▶ sent_to_lab ──lab_accepted──▶ in_production ──lab_shipped──▶ shipped ──delivered──▶ delivered
 *    │                        │                              │
 *    │                        └──────lab_rejected────────────┴──▶ rejected ──refunded──▶ refunded
 *    └──digital_delivered──▶ delivered   (downloads only: nothing to ship)
 *
 * Reorder stores apply these exactly like order transitions: "update where state in
 * reorderFromStates(event)", so a retried status file or webhook changes nothing the second time.
 * Kept apart from ORDER_STATES so venue orders (redeemed at printers) never enter lab states.
 */
export const FULFILMENT_STATES = [
  'sent_to_lab',
  'in_production',
  'shipped',
  'delivered',
  'rejected',
  'refunded',
] as const;
export type FulfilmentState = (typeof FULFILMENT_STATES)[number];
export const REORDER_STATES = [
  'awaiting_payment',
  'payment_failed',
  'cancelled',
  'paid',
  ...FULFILMENT_STATES,
] as const satisfies readonly (OrderState | FulfilmentState)[];
export type ReorderState = (typeof REORDER_STATES)[number];

export type ReorderEvent =
  | 'payment_succeeded'
  | 'payment_failed'
  | 'payment_cancelled'
  | 'sent_to_lab'
  | 'lab_accepted'
  | 'lab_shipped'
  | 'delivered'
  | 'digital_delivered'
  | 'lab_rejected'
  | 'refunded';

const REORDER_TRANSITIONS: Readonly<Record<ReorderEvent, { from: readonly ReorderState[]; to: ReorderState }>> = {
  // The payment steps are the venue order's, spelled out because their types are narrower.
  payment_succeeded: { from: ['awaiting_payment', 'payment_failed'], to: 'paid' },
  payment_failed: { from: ['awaiting_payment'], to: 'payment_failed' },
  payment_cancelled: { from: ['awaiting_payment', 'payment_failed'], to: 'cancelled' },
  sent_to_lab: { from: ['paid'], to: 'sent_to_lab' },
  lab_accepted: { from: ['sent_to_lab'], to: 'in_production' },
  // "Shipped by hand" (self-fulfilment) may skip the lab altogether.
  lab_shipped: { from: ['paid', 'sent_to_lab', 'in_production'], to: 'shipped' },
  delivered: { from: ['shipped'], to: 'delivered' },
  digital_delivered: { from: ['paid'], to: 'delivered' },
  lab_rejected: { from: ['sent_to_lab', 'in_production'], to: 'rejected' },
  // An operator may refund anything paid and not yet shipped; a rejected job is refunded automatically.
  refunded: { from: ['paid', 'sent_to_lab', 'in_production', 'rejected'], to: 'refunded' },
};

export function reorderFromStates(event: ReorderEvent): readonly ReorderState[] {
  return REORDER_TRANSITIONS[event].from;
}

export function reorderTargetState(event: ReorderEvent): ReorderState {
  return REORDER_TRANSITIONS[event].to;
}

/** The next state of a reorder, or null when the event is not allowed in `state`. */
export function nextReorderState(state: ReorderState, event: ReorderEvent): ReorderState | null {
  const t = REORDER_TRANSITIONS[event];
  return t.from.includes(state) ? t.to : null;
}
