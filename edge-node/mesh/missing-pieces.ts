/**
 * What a printer lacks of one event's blobs, as the units the sync planner decides about
 * (shared/policy/sync-planner.ts), and the order in which the LAN phase asks for the missing blocks.
 */
import { backgroundOrder } from '../../shared/policy/fetch-order.ts';
import type { Rng } from '../../shared/policy/prng.ts';
import { chunkOf, RESPONSIBILITY_CHUNK_BLOCKS, type ResponsibilityMap } from '../../shared/policy/responsibility.ts';
import type { SyncUnit } from '../../shared/policy/sync-planner.ts';
import type { SyncEntry, SyncReplica } from './sync-replica.ts';

/** A planned unit and the blocks of it this printer lacks. */
export interface Piece {
  unit: SyncUnit;
  missing: number[];
}

/**
 * The blocks this printer (`selfKey`) lacks, grouped into units: the part of one image that lies in
 * one responsibility chunk (blocks of no known image: the part of the chunk between images), keyed by
 * the unit's first block.
 */
export async function missingPieces(
  replica: SyncReplica,
  length: number,
  shares: ResponsibilityMap,
  opts: { selfKey: string; star: boolean },
): Promise<Map<number, Piece>> {
  // A star node takes everything from the cloud: who holds what does not matter to it.
  const entries = length > 0 && !opts.star ? [...(await replica.entries())] : [];
  entries.sort((x, y) => x.blob.blockOffset - y.blob.blockOffset);
  const end = (e: SyncEntry) => e.blob.blockOffset + e.blob.blockLength;
  const pieces = new Map<number, Piece>();
  let k = 0;
  // Everything below the contiguous prefix is held: a printer in sync checks no block at all.
  for (let block = Math.min(length, replica.blobsCore.contiguousLength ?? 0); block < length; block++) {
    while (k < entries.length && end(entries[k]!) <= block) k++;
    if (await replica.blobsCore.has(block)) continue;
    const entry = k < entries.length && entries[k]!.blob.blockOffset <= block ? entries[k]! : null;
    const chunk = chunkOf(block);
    const chunkStart = chunk * RESPONSIBILITY_CHUNK_BLOCKS;
    const first = Math.max(chunkStart, entry ? entry.blob.blockOffset : k > 0 ? end(entries[k - 1]!) : 0);
    let piece = pieces.get(first);
    if (!piece) {
      piece = {
        unit: {
          id: first,
          ownedByMe: shares.ownerOf(replica.descriptor.blobsKey, chunk) === opts.selfKey,
          lanHolders: entry ? replica.have.holders(entry.seq) : 0,
          missingSinceMs: 0,
          // The shares are computed over the printers online: an owner other than this one is online.
          ownerFetching: shares.ownerOf(replica.descriptor.blobsKey, chunk) !== opts.selfKey,
        },
        missing: [],
      };
      pieces.set(first, piece);
    }
    piece.missing.push(block);
  }
  return pieces;
}

/**
 * Stamps each unit with when it was first found missing here (`before`: the stamps of the event's
 * previous cycle); returns the stamps to keep, without the units no longer missing.
 */
export function stampMissingSince(
  before: ReadonlyMap<number, number> | undefined,
  pieces: Map<number, Piece>,
  now: number,
): Map<number, number> {
  const after = new Map<number, number>();
  for (const [id, piece] of pieces) {
    const since = before?.get(id) ?? now;
    after.set(id, since);
    piece.unit.missingSinceMs = since;
  }
  return after;
}

/** Orders missing blocks image by image (random-first, then rarest-first); blocks outside images last. */
export async function lanOrder(replica: SyncReplica, blocks: number[], rng: Rng): Promise<number[]> {
  const wanted = new Set(blocks);
  const entries = await replica.entries();
  const held = (await Promise.all(entries.map((e) => replica.holds(e)))).filter(Boolean).length;
  const bySeq = new Map(entries.map((e) => [e.seq, e]));
  const candidates = entries
    .filter((e) => {
      for (let i = e.blob.blockOffset; i < e.blob.blockOffset + e.blob.blockLength; i++) if (wanted.has(i)) return true;
      return false;
    })
    .map((e) => ({ seq: e.seq, holders: replica.have.holders(e.seq) }));
  const out: number[] = [];
  for (const seq of backgroundOrder({ candidates, held, rng })) {
    const e = bySeq.get(seq)!;
    for (let i = e.blob.blockOffset; i < e.blob.blockOffset + e.blob.blockLength; i++) {
      if (wanted.delete(i)) out.push(i);
    }
  }
  return [...out, ...wanted];
}
