/**
 * Which paired stations the venue mesh dials by key in one round (venue-mesh.ts #dialMissingByKey),
 * and which of its earlier dials by key it lets go. Pure: the mesh supplies what the swarm knows.
 */

/**
 * Paired stations dialled by key at once. A dial to a station that is switched off can hang for
 * seconds, and every dial shares the swarm's MESH_PARALLEL_DIALS with the cloud seeder's: half of
 * them stay free for it and for the topic's dials.
 */
export const MESH_KEY_DIALS_MAX = 8;
/** While dials by key are out, look at them this often: a failed one frees its place for the next station. */
export const KEY_DIAL_CHECK_MS = 500;
/**
 * A station whose dial by key failed is dialled again after this long, doubling with each failure
 * up to KEY_DIAL_RETRY_MAX_MS: a station that is switched off must not keep a dial place and the
 * venue's DHT busy.
 */
export const KEY_DIAL_RETRY_FIRST_MS = 1_000;
export const KEY_DIAL_RETRY_MAX_MS = 30_000;

/** How long after its last dial a station that failed `failures` times in a row waits for the next. */
export function keyDialRetryMs(failures: number): number {
  if (failures <= 0) return 0;
  return Math.min(KEY_DIAL_RETRY_MAX_MS, KEY_DIAL_RETRY_FIRST_MS * 2 ** (failures - 1));
}

export interface KeyDialState {
  /** The venue's paired stations (this node's profile) it may connect to (not blocked). */
  members: Iterable<string>;
  connected: (key: string) => boolean;
  /** The swarm holds some other connection to this key: a dial in flight (by key or from a topic lookup), or one held or closing. */
  busy: (key: string) => boolean;
  /** Keys this node dialled by key and has not let go yet. */
  dialledByKey: ReadonlySet<string>;
  /** When each key was last dialled by key (epoch ms); never: first. */
  lastDialledAt: (key: string) => number | undefined;
  /** Its dials by key that failed in a row since it was last connected. */
  failures: (key: string) => number;
  now: number;
  max?: number;
}

export interface KeyDialPlan {
  /**
   * Dials by key that are over: connected (Hyperswarm keeps a peer while it has a connection) or
   * failed. They leave the swarm's explicit peers, which it would otherwise keep redialling on its
   * own whenever they drop or fail (a failed one may still get one retry from its retry timer).
   */
  letGo: string[];
  /** Of `letGo`, the ones that failed (not connected): their next dial waits keyDialRetryMs. */
  failed: string[];
  /** Missing stations due for a dial now, the ones waiting longest first, up to the cap. */
  dial: string[];
}

export function planKeyDials(s: KeyDialState): KeyDialPlan {
  const max = s.max ?? MESH_KEY_DIALS_MAX;
  const letGo: string[] = [];
  const failed: string[] = [];
  let open = 0;
  for (const key of s.dialledByKey) {
    if (s.connected(key)) letGo.push(key);
    else if (s.busy(key)) open++;
    else {
      letGo.push(key);
      failed.push(key);
    }
  }
  const due = (k: string) => (s.lastDialledAt(k) ?? Number.NEGATIVE_INFINITY) + keyDialRetryMs(s.failures(k)) <= s.now;
  const waiting = [...new Set(s.members)]
    .filter((k) => !s.connected(k) && !s.busy(k) && !s.dialledByKey.has(k) && due(k))
    .sort(
      (a, b) => (s.lastDialledAt(a) ?? Number.NEGATIVE_INFINITY) - (s.lastDialledAt(b) ?? Number.NEGATIVE_INFINITY),
    );
  return { letGo, failed, dial: waiting.slice(0, Math.max(0, max - open)) };
}
