/**
 * A seeded pseudo-random generator for the decision policies (random-first picks, tie-breaks).
 *
 * Why not Math.random(): the same policies run on the printers and in the simulator, and a
 * simulator run must be reproducible from its seed (Shadow: "it's a bug if it doesn't"), so
 * randomness is a parameter. Why not node:crypto: these draws decide fetch order, not secrets, and
 * run millions of times per simulated event; secrets come from shared/ports/random.ts instead.
 *
 * Generator: xoshiro128** (Blackman & Vigna), 128-bit state, period 2^128 − 1, passes BigCrush,
 * a handful of integer ops per draw. The state is filled by splitmix32 from the seed so that
 * nearby seeds (1, 2, 3, …, one per simulated printer) give unrelated streams.
 */
import { hashString32 } from './hash32.ts';

export interface Rng {
  /** Uniform in [0, 1), 32 bits of resolution. */
  next(): number;
  /** Uniform integer in [0, maxExclusive); maxExclusive is an integer in [1, 2^32]. */
  int(maxExclusive: number): number;
}

const TWO_POW_32 = 4294967296;

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

class Xoshiro128StarStar implements Rng {
  #s0: number;
  #s1: number;
  #s2: number;
  #s3: number;

  constructor(seed32: number) {
    // splitmix32: turns one 32-bit seed into four decorrelated, never-all-zero state words.
    let z = seed32 >>> 0;
    const words: number[] = [];
    for (let i = 0; i < 4; i++) {
      z = (z + 0x9e3779b9) >>> 0;
      let t = z;
      t = Math.imul(t ^ (t >>> 16), 0x21f0aaad);
      t = Math.imul(t ^ (t >>> 15), 0x735a2d97);
      words.push((t ^ (t >>> 15)) >>> 0);
    }
    this.#s0 = words[0]!;
    this.#s1 = words[1]!;
    this.#s2 = words[2]!;
    this.#s3 = words[3]!;
    if ((this.#s0 | this.#s1 | this.#s2 | this.#s3) === 0) this.#s0 = 1;
  }

  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.#s1, 5), 7), 9) >>> 0;
    const t = this.#s1 << 9;
    this.#s2 ^= this.#s0;
    this.#s3 ^= this.#s1;
    this.#s1 ^= this.#s2;
    this.#s0 ^= this.#s3;
    this.#s2 ^= t;
    this.#s3 = rotl(this.#s3, 11);
    return result;
  }

  next(): number {
    return this.nextUint32() / TWO_POW_32;
  }

  int(maxExclusive: number): number {
    if (!(maxExclusive >= 1 && maxExclusive <= TWO_POW_32 && Number.isInteger(maxExclusive))) {
      throw new RangeError(`int(maxExclusive) needs an integer in [1, 2^32], got ${maxExclusive}`);
    }
    // Multiply-shift (Lemire) without the rejection step: the bias is below maxExclusive / 2^32,
    // invisible at the sizes used here (≤ a few hundred thousand candidates).
    return Math.floor((this.nextUint32() * maxExclusive) / TWO_POW_32);
  }
}

/**
 * A deterministic generator: the same seed always yields the same sequence. String seeds (e.g. a
 * printer's public key, "run-7/printer-12") are hashed to 32 bits; numbers are used modulo 2^32
 * (fractional parts are dropped, so use integers).
 */
export function seededRng(seed: number | string): Rng {
  if (typeof seed === 'number' && !Number.isFinite(seed)) throw new RangeError(`seed must be finite, got ${seed}`);
  const seed32 = typeof seed === 'string' ? hashString32(seed) : Math.trunc(seed) >>> 0;
  return new Xoshiro128StarStar(seed32);
}
