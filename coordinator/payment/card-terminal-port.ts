/**
 * The card-present payment port (JP2002133137A): a station's card reader / PIN pad, driven by the
 * coordinator through the payment provider ("server-driven": the coordinator is the intermediary,
 * the reader talks to the provider, the provider authorises). Card numbers, track data and PINs never
 * reach this interface: adapters see only the provider's payment id, the card brand, the last four
 * digits and the authorisation code.
 *
 * Flow: createAuthorisation (manual capture) → collect on the station's reader → poll payment()
 * until `authorised` (or a failure) → print → capture; or void when printing failed / the fan
 * cancelled. Every mutating call is idempotent on its idempotency key (the provider's own
 * idempotency where it has one), so a coordinator restarted mid-flow can repeat its last step.
 */
export interface CardTerminal {
  readonly name: string;
  /** Creates an authorisation-only (manual capture) card-present payment. */
  createAuthorisation(input: CardAuthorisationRequest): Promise<CardPayment>;
  /** Asks the reader to collect a card for the payment; returns once the reader took the request. */
  collect(input: { readerId: string; paymentId: string; idempotencyKey: string }): Promise<void>;
  /** Stops a collection in progress (fan pressed cancel); the payment stays uncaptured. */
  cancelCollect(input: { readerId: string; idempotencyKey: string }): Promise<void>;
  /** The payment as the provider sees it now. */
  payment(paymentId: string): Promise<CardPayment>;
  /** Takes the authorised money; only after the prints came out. */
  capture(input: { paymentId: string; amountCents: number; idempotencyKey: string }): Promise<CardPayment>;
  /** Releases an authorisation that will not be captured (print failed, cancelled, expired). */
  void(input: { paymentId: string; idempotencyKey: string }): Promise<CardPayment>;
  /**
   * Gives captured money back (an operator's refund from the console), idempotent on the key.
   * Optional so adapters written before it still fit; without it card sales are refunded by hand.
   */
  refund?(input: { paymentId: string; amountCents: number; idempotencyKey: string }): Promise<{ refundId: string }>;
  /** The reader's state for the operator dashboard and for the kiosk's "card payments unavailable". */
  reader(readerId: string): Promise<CardReaderState>;
}

export interface CardAuthorisationRequest {
  /** Our sale's id, stored with the provider as metadata so a restarted coordinator can find it. */
  saleId: string;
  amountCents: number;
  currency: string;
  description: string;
  idempotencyKey: string;
}

export type CardPaymentStatus =
  /** Created, no card yet (or the last card was declined and another may be tried). */
  | 'awaiting_card'
  /** The reader has a card and the provider is deciding. */
  | 'processing'
  /** Authorised, not captured: money held. */
  | 'authorised'
  | 'captured'
  | 'voided';

export type CardFailure =
  | 'declined'
  | 'insufficient_funds'
  | 'card_removed'
  | 'timeout'
  | 'reader_offline'
  | 'cancelled';

export interface CardPayment {
  paymentId: string;
  status: CardPaymentStatus;
  amountCents: number;
  currency: string;
  /** Why the last attempt on the reader failed, while status is back to `awaiting_card`. */
  lastFailure?: CardFailure;
  /** Present once authorised: what the receipt may show. Never a full card number. */
  card?: { brand: string; last4: string };
  authorisationCode?: string;
}

export interface CardReaderState {
  readerId: string;
  status: 'online' | 'busy' | 'offline';
  label?: string;
}
