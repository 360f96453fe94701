/**
 * The feed's block size, alone in a module without Hypercore so that pure code (shared/policy, the
 * simulator) can size blocks, windows and buckets from the one definition the feed itself uses.
 */
export const FEED_BLOCK_BYTES = 64 * 1024;
