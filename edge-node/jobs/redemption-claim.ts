/**
 * How a fan's code becomes an order this printer may print: a typed order code or a signed QR token,
 * claimed at the coordinator (exactly once across printers), or among the venue's printers when the
 * cloud is unreachable (edge-node/OFFLINE.md).
 */
import { AppError, type ErrorCode } from '../../shared/errors.ts';
import { isUplinkFailure } from '../../shared/policy/offline-claim-rule.ts';
import type { Clock } from '../../shared/ports/clock.ts';
import type { RedeemJob } from '../../shared/protocol/printer-api.ts';
import { normalizeOrderCode } from '../../shared/token/order-code.ts';
import { normalizeRedemptionCode, verifyRedemptionToken } from '../../shared/token/redemption-token.ts';
import { type CoordinatorClient, CoordinatorError } from '../coordinator-client.ts';
import type { OfflinePath } from '../offline/offline-path.ts';
import type { OfflineClaim } from './job-log.ts';
import { ONLINE_REDEEM_TIMEOUT_MS } from './redemption-timing.ts';

/** The refusal of a typed code while the coordinator is unreachable (the kiosk asks for the QR code). */
export const TYPED_CODE_OFFLINE = 'typed_code_needs_network' satisfies ErrorCode;

export interface ClaimDeps {
  client: CoordinatorClient;
  tokenKeys: () => ReadonlyMap<number, Uint8Array>;
  clock: Clock;
  /** Offline redemption (issue #6); without it, a code is refused when the cloud is unreachable. */
  offline?: OfflinePath;
}

/** A code as read: the order code it names, and whether it was typed (null: a verified QR token). */
export interface CodeRead {
  typed: string | null;
  orderCode: string;
}

/** Reads a scanned or typed code. Rejects a bad token with a clear AppError. */
export function readCode(deps: ClaimDeps, code: string): CodeRead {
  // A typed order code carries no signature: only the coordinator can tell whether it is an order.
  const typed = normalizeOrderCode(code);
  let orderCode = typed;
  if (!orderCode) {
    const verified = verifyRedemptionToken(code, deps.tokenKeys(), deps.clock.now());
    if (!verified.ok) throw new AppError(`token_${verified.reason}`, verified.message);
    orderCode = verified.claims.orderCode;
  }
  return { typed, orderCode };
}

/**
 * Claims the order of `code` for this printer: at the coordinator, or on the venue LAN when the
 * coordinator cannot be reached (`offline`: that claim, null for an online one).
 */
export async function claimOrder(
  deps: ClaimDeps,
  code: string,
  { typed, orderCode }: CodeRead,
): Promise<{ job: RedeemJob; offline: OfflineClaim | null }> {
  const { offline: offlinePath } = deps;
  await offlinePath?.checkOnline(orderCode);
  let job: RedeemJob;
  let offline: OfflineClaim | null = null;
  try {
    job = typed
      ? await claimTyped(deps.client, typed)
      : await deps.client.redeem(normalizeRedemptionCode(code), { timeoutMs: ONLINE_REDEEM_TIMEOUT_MS });
    void offlinePath?.claimedOnline(job.order.id, job.units.length);
  } catch (err) {
    if (!(err instanceof CoordinatorError)) throw err;
    if (!offlinePath || !isUplinkFailure(err))
      throw new AppError(err.code, err.message, err.details ? { ...err.details } : undefined, { status: err.status });
    // No cloud: the venue's printers decide among themselves (edge-node/OFFLINE.md).
    ({ job, offline } = await offlinePath.claimOffline(orderCode));
  }
  return { job, offline };
}

/**
 * Claims the order of a typed code at the coordinator. Online only: with no cloud the printer has
 * no way to slow down someone guessing codes, so the fan is sent to the QR code.
 */
async function claimTyped(client: CoordinatorClient, orderCode: string): Promise<RedeemJob> {
  let job: RedeemJob;
  try {
    job = await client.redeemCode(orderCode, { timeoutMs: ONLINE_REDEEM_TIMEOUT_MS });
  } catch (err) {
    if (err instanceof CoordinatorError && isUplinkFailure(err)) {
      throw new AppError(TYPED_CODE_OFFLINE, 'Scan the QR code: typed codes need the network right now.');
    }
    throw err;
  }
  if (!job.token) {
    throw new AppError('typed_code_unsupported', 'The coordinator cannot redeem typed codes; scan the QR code.');
  }
  return job;
}
