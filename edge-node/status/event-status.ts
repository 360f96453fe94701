import type { HoldingsScan } from '../mesh/event-replica.ts';

export interface EventStatus {
  eventId: string;
  imagesHeld: number;
  imagesTotal: number;
  bytesNeeded: number;
  /** Replication lag: age of the oldest image not held yet; null when up to date. */
  oldestMissingAgeMs: number | null;
}

/** What a printer reports about one event, from one holdings scan. */
export function eventStatus(scan: HoldingsScan, now: number): EventStatus {
  const held = new Set(scan.held.map((e) => e.seq));
  let bytesNeeded = 0;
  let oldestMissing: number | null = null;
  for (const e of scan.entries) {
    if (held.has(e.seq)) continue;
    bytesNeeded += e.byteLength;
    if (e.registeredAt > 0 && (oldestMissing === null || e.registeredAt < oldestMissing))
      oldestMissing = e.registeredAt;
  }
  return {
    eventId: scan.eventId,
    imagesHeld: held.size,
    imagesTotal: scan.entries.length,
    bytesNeeded,
    oldestMissingAgeMs: oldestMissing === null ? null : Math.max(0, now - oldestMissing),
    ...(scan.templates ? { templatesHeld: scan.templates.held, templatesTotal: scan.templates.total } : {}),
    ...(scan.photoPeers !== undefined ? { photoPeers: scan.photoPeers } : {}),
  };
}
