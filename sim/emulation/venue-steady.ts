import type { Clock } from '../../shared/ports/clock.ts';

/** How long the run waits for its printers to find each other before it starts anyway (and says so). */
export const VENUE_STEADY_TIMEOUT_MS = 60_000;
/** How often each printer's status is asked meanwhile. */
const VENUE_STEADY_POLL_MS = 250;

export interface SteadyVenue {
  steady: boolean;
  waitedMs: number;
  /** Per printer, the LAN peers it reported last. */
  lanPeers: number[];
}

/**
 * Waits until every printer is connected to every other one on the LAN. The model's printers are
 * up and meshed when its timeline starts; a real venue starts its stations before the first photo,
 * so a run whose photographer started while the edge nodes were still dialling each other (and
 * holding their first sync cycle for it, MESH_SETTLE_MS) would charge that start-up to batch 0.
 */
export async function waitForSteadyVenue(
  nodes: ReadonlyArray<{ status(): Promise<{ lanPeers: number }> }>,
  clock: Clock,
  timeoutMs = VENUE_STEADY_TIMEOUT_MS,
): Promise<SteadyVenue> {
  const started = clock.now();
  const want = nodes.length - 1;
  for (;;) {
    const lanPeers = await Promise.all(nodes.map(async (n) => (await n.status()).lanPeers));
    const waitedMs = clock.now() - started;
    if (lanPeers.every((p) => p >= want)) return { steady: true, waitedMs, lanPeers };
    if (waitedMs >= timeoutMs) return { steady: false, waitedMs, lanPeers };
    await clock.sleep(VENUE_STEADY_POLL_MS);
  }
}
