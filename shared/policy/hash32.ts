/**
 * Fast, non-cryptographic 32-bit hashing for the policies' hot paths (rendezvous weights, seeding).
 *
 * Why not sha256: the simulator evaluates these policies for 500 printers × tens of thousands of
 * chunks; a crypto hash per (chunk, printer) pair would dominate its run time. Nothing here needs
 * collision resistance against an attacker: a printer that lied about its weights could only take
 * on more cloud pulls, which it can do anyway by fetching from the cloud. What matters is a uniform,
 * well-mixed output, which FNV-1a followed by the murmur3 finaliser gives at a few ns per call.
 */

const FNV_OFFSET_BASIS_32 = 0x811c9dc5;
const FNV_PRIME_32 = 0x01000193;
/** 2^32 / golden ratio: spreads consecutive integers (chunk numbers) across the 32-bit space. */
export const GOLDEN_RATIO_32 = 0x9e3779b1;

/**
 * murmur3's 32-bit finaliser: a bijection on 32-bit integers with full avalanche, so distinct
 * inputs stay distinct and every output bit depends on every input bit.
 */
export function fmix32(h: number): number {
  let x = h | 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

/** FNV-1a over the string's UTF-16 code units, finalised with fmix32 (FNV alone mixes its low bits poorly). */
export function hashString32(s: string, seed = 0): number {
  let h = (FNV_OFFSET_BASIS_32 ^ seed) >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, FNV_PRIME_32);
  }
  return fmix32(h);
}

/** Combines two 32-bit values into a well-mixed one; order matters (combine(a, b) ≠ combine(b, a)). */
export function combine32(a: number, b: number): number {
  return fmix32((a ^ Math.imul(b, GOLDEN_RATIO_32)) >>> 0);
}
