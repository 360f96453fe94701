import type { RedeemJob } from '../../shared/protocol/printer-api.ts';
import type { OfflineClaim } from '../jobs/job-log.ts';

/**
 * What the redemption flow asks of offline redemption (edge-node/OFFLINE.md). Online redemptions
 * are announced on the venue's claims logs too, so printers without the cloud know what is taken.
 */
export interface OfflinePath {
  /** Before asking the coordinator: refuses an order another printer holds or printed with no cloud. */
  checkOnline(orderCode: string): Promise<void>;
  /** The coordinator granted the order to this printer. Never throws. */
  claimedOnline(orderId: string, units: number): Promise<void>;
  /**
   * The cloud is unreachable: claims the order on the venue LAN (hold, deterministic winner) or
   * refuses with an AppError. `offline` is null when this printer held the order online already.
   */
  claimOffline(orderCode: string): Promise<{ job: RedeemJob; offline: OfflineClaim | null }>;
  /** Every unit of the order printed here. Never throws. */
  finished(orderId: string): Promise<void>;
}
