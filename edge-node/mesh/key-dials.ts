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
/** While dials by key are out, look at them this often: a failed one frees its place, and Hyperswarm would retry it after 1 s. */
export const KEY_DIAL_CHECK_MS = 500;

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
  max?: number;
}

export interface KeyDialPlan {
  /**
   * Dials by key that are over: connected (Hyperswarm keeps a peer while it has a connection) or
   * failed. They leave the swarm's explicit peers, which it would otherwise redial on its own,
   * outside the cap, whenever they drop or fail.
   */
  letGo: string[];
  /** Missing stations to dial now, the ones waiting longest first, up to the cap. */
  dial: string[];
}

export function planKeyDials(s: KeyDialState): KeyDialPlan {
  const max = s.max ?? MESH_KEY_DIALS_MAX;
  const letGo = new Set<string>();
  let open = 0;
  for (const key of s.dialledByKey) {
    if (!s.connected(key) && s.busy(key)) open++;
    else letGo.add(key);
  }
  const waiting = [...new Set(s.members)]
    .filter((k) => !s.connected(k) && !s.busy(k) && (!s.dialledByKey.has(k) || letGo.has(k)))
    .sort(
      (a, b) => (s.lastDialledAt(a) ?? Number.NEGATIVE_INFINITY) - (s.lastDialledAt(b) ?? Number.NEGATIVE_INFINITY),
    );
  return { letGo: [...letGo], dial: waiting.slice(0, Math.max(0, max - open)) };
}
