/**
 * Hypercore's error codes (hypercore-errors) that mean "not here yet": the block or snapshot is
 * not local and no peer sent it in time. Only these are an answer of "unknown for now"; a closed
 * session, a decoding (decryption) failure or a storage error is a fault and is thrown on.
 */
const NOT_AVAILABLE_YET = new Set(['REQUEST_TIMEOUT', 'BLOCK_NOT_AVAILABLE', 'SNAPSHOT_NOT_AVAILABLE']);

export function isNotAvailableYet(err: unknown): boolean {
  return NOT_AVAILABLE_YET.has((err as { code?: unknown } | null)?.code as string);
}
