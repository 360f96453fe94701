import { credentialIdOf } from '../http/auth.ts';
import type {
  CredentialRecord,
  EventRecord,
  ImageRecord,
  OrderRecord,
  PrinterRecord,
  VenueRecord,
} from '../store/records.ts';

/** What leaves the coordinator: records minus their secrets (topic secrets, feed seeds). */

export function venueView(v: VenueRecord) {
  return { id: v.id, name: v.name, createdAt: v.createdAt };
}

export function eventView(e: EventRecord) {
  return {
    id: e.id,
    venueId: e.venueId,
    name: e.name,
    startsAt: e.startsAt,
    endsAt: e.endsAt,
    priceList: e.priceList,
    createdAt: e.createdAt,
  };
}

export function imageView(i: ImageRecord) {
  return {
    id: i.id,
    eventId: i.eventId,
    photographer: i.photographer,
    width: i.width,
    height: i.height,
    mime: i.mime,
    byteLength: i.byteLength,
    sha256: i.sha256,
    createdAt: i.createdAt,
    inFeed: i.feedState === 'appended',
    previewUrl: `/media/images/${encodeURIComponent(i.id)}/preview.jpg`,
    thumbnailUrl: `/media/images/${encodeURIComponent(i.id)}/thumbnail.jpg`,
  };
}

export function orderView(o: OrderRecord) {
  return {
    id: o.id,
    code: o.code,
    eventId: o.eventId,
    items: o.items,
    unitCount: o.unitCount,
    printedCount: o.printedCount,
    totalCents: o.totalCents,
    currency: o.currency,
    state: o.state,
    createdAt: o.createdAt,
    paidAt: o.paidAt,
    fulfilledAt: o.fulfilledAt,
    claim: o.claim
      ? { printerId: o.claim.printerId, claimedAt: o.claim.claimedAt, expiresAt: o.claim.expiresAt }
      : null,
  };
}

/** A printer as operators see it; `cardReaderId` only when one is assigned. */
export interface PrinterView {
  id: string;
  venueId: string;
  name: string;
  pairedAt: number;
  revokedAt: number | null;
  lastSeenAt: number | null;
  cardReaderId?: string;
}

export function printerView(p: PrinterRecord): PrinterView {
  return {
    id: p.id,
    venueId: p.venueId,
    name: p.name,
    pairedAt: p.pairedAt,
    revokedAt: p.revokedAt,
    lastSeenAt: p.lastSeenAt,
    ...(p.cardReaderId ? { cardReaderId: p.cardReaderId } : {}),
  };
}

/** A credential as operators see it: never the token, never its hash. */
export function credentialView(c: CredentialRecord) {
  return {
    id: credentialIdOf(c.tokenHash),
    role: c.role,
    name: c.name,
    createdAt: c.createdAt,
    revokedAt: c.revokedAt,
  };
}
