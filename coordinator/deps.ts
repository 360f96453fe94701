import type { Logger } from 'pino';
import type { Clock } from '../shared/ports/clock.ts';
import type { Random } from '../shared/ports/random.ts';
import type { AfterEventDeps } from './after-event/deps.ts';
import type { FeedPort } from './feed/feed-port.ts';
import type { ImageLimits } from './media/image-pipeline.ts';
import type { CoordinatorMetrics } from './metrics.ts';
import type { CardTerminal } from './payment/card-terminal-port.ts';
import type { PaymentGateway } from './payment/port.ts';
import type { WrongCodeBurst } from './services/failed-code-limiter.ts';
import type { AlertThresholds } from './services/liveness.ts';
import type { OwnPhotoSettings } from './services/own-photo-settings.ts';
import type { KioskSaleStore } from './store/kiosk-sale-store.ts';
import type { Store } from './store/port.ts';
import type { StoreHealth } from './store/store-health.ts';
import type { TokenKeyRing } from './tokens/token-keys.ts';

/** Everything the HTTP app uses, injected: real adapters in main.ts, real or fake ones in tests. */
export interface CoordinatorDeps {
  store: Store;
  feeds: FeedPort;
  payments: PaymentGateway;
  tokenKeys: TokenKeyRing;
  clock: Clock;
  random: Random;
  logger: Logger;
  metrics: CoordinatorMetrics;
  settings: CoordinatorSettings;
  /** Damage found in the store (check at start, errors since); absent: only "it answers" is checked. */
  storeHealth?: StoreHealth;
  /** Reorders after the event, downloads and the lab (issue #15); absent: the shop stops with the event. */
  afterEvent?: AfterEventDeps;
  /** Kiosk sales (issue #13); absent: the kiosk offers browsing only. */
  kioskSales?: KioskSaleStore;
  /** The stations' card readers (VPM_CARD_TERMINAL); absent: no card-present payment. */
  cardTerminal?: CardTerminal;
}

export interface CoordinatorSettings {
  /** Base URL fans and printers reach this coordinator at (links, checkout return URLs). */
  publicUrl: string;
  /** A claim not renewed for this long may be taken over by another printer. */
  claimTtlMs: number;
  /** Redemption codes stay valid this long after the event ends (or after payment, if later). */
  redemptionWindowMs: number;
  imageLimits: ImageLimits;
  /**
   * Staff sign-in cookies are sealed with a key derived from this. Every instance behind one balancer
   * needs the same secret, or a browser signed in on one is signed out on the next.
   */
  sessionSecret: string;
  ops: OpsSettings;
  /** Uploads are written here while they wait for the image decoder (absent: held in memory). */
  uploadSpoolDir?: string;
  /** Fans' own-photo print jobs (issue #13 item 3); absent: defaultOwnPhotoSettings(). */
  ownPhotos?: OwnPhotoSettings;
  /** Kiosk sales: the tax rate included in prices (receipt's tax line); 0 when absent. */
  taxRatePercent?: number;
  /** The photo overlay's rings printers are told in their profile; absent: PHOTO_OVERLAY_RINGS. */
  photoOverlayRings?: number;
  /**
   * Wrong typed order codes a printer and a venue may present before each further one is held and
   * refused (failed-code-limiter.ts); absent: FAILED_CODE_BURST and VENUE_FAILED_CODE_BURST.
   */
  wrongCodeBurst?: WrongCodeBurst;
}

/** The operator dashboard: when to alert, and how often its live stream polls the store. */
export interface OpsSettings {
  alerts: AlertThresholds;
  streamPollMs: number;
}
