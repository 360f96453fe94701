import { randomBytes } from 'node:crypto';

/** Randomness as a port: secrets and ids come from here, so a seeded source can replace it in simulation. */
export interface Random {
  bytes(n: number): Buffer;
}

export const cryptoRandom: Random = { bytes: (n) => randomBytes(n) };

/** Unguessable identifier: `bytes` random bytes, base64url. 16 bytes = 128 bits. */
export function randomId(random: Random, bytes = 16): string {
  return random.bytes(bytes).toString('base64url');
}
