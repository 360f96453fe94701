/** How long the redemption flow waits for what, at a printer (edge-node/jobs/redemption-service.ts). */

/** Confirmations that cannot reach the coordinator are retried this often, forever (they are durable). */
export const CONFIRM_RETRY_MS = 5_000;
/** Prints come out in order unless the next one's photo is still this far from ready. */
export const IN_ORDER_GRACE_MS = 300;
/** A unit whose image is not yet on the feed (just uploaded) waits this long for the catalog. */
export const CATALOG_WAIT_MS = 30_000;
/**
 * A redemption waits this long for the coordinator before it counts the cloud as unreachable and
 * redeems offline (a cut WAN often drops packets rather than refusing connections).
 */
export const ONLINE_REDEEM_TIMEOUT_MS = 4_000;
/** A unit whose photo is not in the local catalog yet looks again this often (until CATALOG_WAIT_MS). */
export const CATALOG_POLL_MS = 500;
/** One catalog read waits this long for a peer before the unit looks again. */
export const CATALOG_READ_TIMEOUT_MS = 2_000;
