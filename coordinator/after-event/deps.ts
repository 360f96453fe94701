import type { LabPort } from '../lab/port.ts';
import type { ReorderStore } from './store-port.ts';

export const DAY_MS = 86_400_000;

/** How long things are kept and allowed after an event (README "After the event"; docs/after-event.md). */
export interface AfterEventConfig {
  /** Reorders stay open this long after the event ends, unless the event's settings say otherwise. */
  defaultReorderWindowDays: number;
  /** A download link works this long after payment. */
  downloadWindowMs: number;
  /** …and this many times. */
  downloadMaxUses: number;
  /** Unsold masters are deleted this long after the reorder window closes. */
  unsoldRetentionMs: number;
  /** Shipping addresses are deleted this long after the parcel shipped (or the order ended otherwise). */
  addressRetentionMs: number;
  /** Secret the download links are signed with (derived from the session secret in the coordinator). */
  downloadSecret: string;
}

export const DEFAULT_AFTER_EVENT_CONFIG: Omit<AfterEventConfig, 'downloadSecret'> = {
  defaultReorderWindowDays: 60,
  downloadWindowMs: 30 * DAY_MS,
  downloadMaxUses: 5,
  unsoldRetentionMs: 30 * DAY_MS,
  addressRetentionMs: 90 * DAY_MS,
};

/** The after-event part of the coordinator's deps: reorder storage, the lab, its settings. */
export interface AfterEventDeps {
  reorders: ReorderStore;
  lab: LabPort;
  config: AfterEventConfig;
}
