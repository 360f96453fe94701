/**
 * Telling the coordinator which units printed. A print is in the durable job log before it is
 * confirmed, so a confirmation that does not get through is retried until the coordinator has it,
 * across restarts too.
 */
import type { Clock } from '../../shared/ports/clock.ts';
import type { StructuredLogger } from '../../shared/ports/logger.ts';
import type { CoordinatorClient } from '../coordinator-client.ts';
import type { JobLog } from './job-log.ts';
import type { RedemptionProgress } from './redemption-progress.ts';
import { CONFIRM_RETRY_MS } from './redemption-timing.ts';

export interface ConfirmDeps {
  client: CoordinatorClient;
  log: JobLog;
  clock: Clock;
  logger: StructuredLogger;
}

/** Confirms one printed unit; false when it is left for later (the retry loop sends it again). */
export async function confirmPrint(deps: ConfirmDeps, orderId: string, unit: number): Promise<boolean> {
  // An offline claim's units are reported with the claim when the uplink returns (reconciler).
  const order = deps.log.get(orderId);
  if (order?.offline && !order.reconciled) return false;
  try {
    await deps.client.confirmPrinted(orderId, unit);
    await deps.log.append({ t: 'confirmed', orderId, unit, at: deps.clock.now() });
    return true;
  } catch (err) {
    deps.logger.warn({ err, orderId, unit }, 'confirmation not delivered yet; it will be retried');
    return false;
  }
}

/** An order's units printed here before a crash but not confirmed: confirmed now rather than printed again. */
export async function confirmPrintedBefore(deps: ConfirmDeps, progress: RedemptionProgress): Promise<void> {
  const { log } = deps;
  for (const u of progress.units) {
    if (
      u.state === 'printed' &&
      !log.get(progress.orderId)?.confirmed.has(u.unit) &&
      printedHere(log, progress.orderId, u.unit)
    ) {
      await confirmPrint(deps, progress.orderId, u.unit);
    }
  }
}

/**
 * Re-sends every unconfirmed print every CONFIRM_RETRY_MS until `closed()`; an order being printed
 * (`printing`) confirms its own units.
 */
export async function retryUnconfirmed(
  deps: ConfirmDeps,
  run: { closed: () => boolean; printing: (orderId: string) => boolean; signal: AbortSignal },
): Promise<void> {
  while (!run.closed()) {
    for (const { orderId, unit } of deps.log.unconfirmed()) {
      if (run.closed()) return;
      if (run.printing(orderId)) continue;
      await confirmPrint(deps, orderId, unit);
    }
    await deps.clock.sleep(CONFIRM_RETRY_MS, run.signal).catch(() => {});
  }
}

function printedHere(log: JobLog, orderId: string, unit: number): boolean {
  return log.get(orderId)?.printed.has(unit) ?? false;
}
