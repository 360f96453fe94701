import type { PriceList } from '../../shared/policy/pricing.ts';
import { FAILED_CODE_BURST, VENUE_FAILED_CODE_BURST, type WrongCodeBurst } from './failed-code-limiter.ts';

/** Fans' photos are kept this long unpaid by default (VPM_OWN_PHOTO_RETENTION_HOURS). */
export const DEFAULT_OWN_PHOTO_RETENTION_HOURS = 24;
export const HOUR_MS = 3_600_000;
/** Photos in one job (one upload from the phone page). */
export const MAX_OWN_PHOTOS_PER_JOB = 20;
/** Jobs one phone keeps under its code at once (each counts against the retention store). */
export const MAX_OWN_PHOTO_JOBS_PER_CODE = 10;
/**
 * A printer holds a released job this long without a word before another may print it: longer
 * than printing MAX_OWN_PHOTOS_PER_JOB photos (each fetch and print renews the hold).
 */
export const OWN_PHOTO_HOLD_MS = 5 * 60_000;
/** Bytes of photos one client address may upload per hour (a phone's whole camera roll is far less). */
export const OWN_PHOTO_CLIENT_BYTES_PER_HOUR = 500 * 1024 * 1024;
/** How often the retention sweeper runs. */
export const OWN_PHOTO_SWEEP_INTERVAL_MS = 60_000;

export interface OwnPhotoSettings {
  /** Off: the page, uploads and kiosk lookups answer `own_photos_disabled`. */
  enabled: boolean;
  /** Unpaid jobs and their photos are deleted this long after upload. */
  retentionMs: number;
  /** A configured own-photo price; null: the price list of the event at the printer's venue. */
  price: PriceList | null;
  holdMs: number;
  maxPhotosPerJob: number;
  maxJobsPerCode: number;
  clientBytesPerHour: number;
  /**
   * Wrong codes or PINs a printer, and all printers of a venue, may type before the answers slow
   * down (the typed-order-code budget by default).
   */
  wrongCodeBurst: WrongCodeBurst;
}

export function defaultOwnPhotoSettings(overrides: Partial<OwnPhotoSettings> = {}): OwnPhotoSettings {
  return {
    enabled: true,
    retentionMs: DEFAULT_OWN_PHOTO_RETENTION_HOURS * HOUR_MS,
    price: null,
    holdMs: OWN_PHOTO_HOLD_MS,
    maxPhotosPerJob: MAX_OWN_PHOTOS_PER_JOB,
    maxJobsPerCode: MAX_OWN_PHOTO_JOBS_PER_CODE,
    clientBytesPerHour: OWN_PHOTO_CLIENT_BYTES_PER_HOUR,
    wrongCodeBurst: { printer: FAILED_CODE_BURST, venue: VENUE_FAILED_CODE_BURST },
    ...overrides,
  };
}

/** The deps' own-photo settings, or the defaults for a composition root that sets none. */
export function ownPhotoSettingsOf(deps: { settings: { ownPhotos?: OwnPhotoSettings } }): OwnPhotoSettings {
  return deps.settings.ownPhotos ?? defaultOwnPhotoSettings();
}

/** The settings from the coordinator's configuration (VPM_OWN_PHOTO_*). */
export function ownPhotoSettingsFromConfig(config: {
  ownPhotos: 'on' | 'off';
  ownPhotoRetentionHours: number;
  ownPhotoPriceCents?: number | undefined;
  ownPhotoCurrency: string;
}): OwnPhotoSettings {
  return defaultOwnPhotoSettings({
    enabled: config.ownPhotos === 'on',
    retentionMs: config.ownPhotoRetentionHours * HOUR_MS,
    price:
      config.ownPhotoPriceCents === undefined
        ? null
        : { currency: config.ownPhotoCurrency, unitPriceCents: config.ownPhotoPriceCents, bundles: [] },
  });
}
