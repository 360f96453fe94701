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

export interface KeyDialState {
  /** The venue's paired stations (this node's profile). */
  members: Iterable<string>;
  connected: (key: string) => boolean;
  /** The swarm has a dial of this key in flight (by key or from a topic lookup). */
  dialling: (key: string) => boolean;
  /** Keys this node dialled by key and has not let go yet. */
  dialledByKey: ReadonlySet<string>;
  /** When each key was last dialled by key (epoch ms); never: first. */
  lastDialledAt: (key: string) => number | undefined;
  max?: number;
}

export interface KeyDialPlan {
  /** Dials by key that ended without a connection, or connections that closed: no longer the swarm's explicit peers, so it does not retry them on its own, outside the cap. */
  letGo: string[];
  /** Missing stations to dial now, the ones waiting longest first, up to the cap. */
  dial: string[];
}

export function planKeyDials(s: KeyDialState): KeyDialPlan {
  const max = s.max ?? MESH_KEY_DIALS_MAX;
  const letGo: string[] = [];
  let open = 0;
  for (const key of s.dialledByKey) {
    if (s.connected(key)) continue;
    if (s.dialling(key)) open++;
    else letGo.push(key);
  }
  const waiting = [...new Set(s.members)]
    .filter((k) => !s.connected(k) && !s.dialling(k) && (!s.dialledByKey.has(k) || letGo.includes(k)))
    .sort(
      (a, b) => (s.lastDialledAt(a) ?? Number.NEGATIVE_INFINITY) - (s.lastDialledAt(b) ?? Number.NEGATIVE_INFINITY),
    );
  return { letGo, dial: waiting.slice(0, Math.max(0, max - open)) };
}
