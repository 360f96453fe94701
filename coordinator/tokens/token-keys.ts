import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../../shared/config/config-error.ts';
import { generateSigningKey, type SigningKey, TOKEN_MAX_KEY_ID } from '../../shared/token/redemption-token.ts';

/**
 * The coordinator's redemption-token signing keys. The newest signs; all public keys stay
 * published to printers so codes issued before a rotation keep working until they expire.
 */
export interface TokenKeyRing {
  current: SigningKey;
  publicKeys: Map<number, Uint8Array>;
}

const hex = z.string().regex(/^[0-9a-f]+$/);
const fileSchema = z.object({
  current: z.number().int().min(0).max(TOKEN_MAX_KEY_ID),
  keys: z
    .array(z.object({ keyId: z.number().int().min(0).max(TOKEN_MAX_KEY_ID), publicKey: hex, secretKey: hex }))
    .min(1),
});
type KeyFile = z.infer<typeof fileSchema>;

export function keyRingFromFile(data: KeyFile): TokenKeyRing {
  const keys = data.keys.map((k) => ({
    keyId: k.keyId,
    publicKey: Buffer.from(k.publicKey, 'hex'),
    secretKey: Buffer.from(k.secretKey, 'hex'),
  }));
  const current = keys.find((k) => k.keyId === data.current);
  if (!current)
    throw new ConfigError(`The token key file names current key ${data.current}, which it does not contain.`);
  return { current, publicKeys: new Map(keys.map((k) => [k.keyId, k.publicKey])) };
}

export function newKeyRing(keyId = 0): TokenKeyRing {
  const current = generateSigningKey(keyId);
  return { current, publicKeys: new Map([[keyId, current.publicKey]]) };
}

/** Reads the key file, or creates it (mode 0600) with one fresh key when it does not exist. */
export async function loadOrCreateKeyRing(path: string): Promise<TokenKeyRing> {
  let text: string | null = null;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (text !== null) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new ConfigError(`The token key file ${path} is not JSON.`, { path });
    }
    const parsed = fileSchema.safeParse(json);
    if (!parsed.success)
      throw new ConfigError(`The token key file ${path} is invalid: ${parsed.error.message}`, { path });
    return keyRingFromFile(parsed.data);
  }
  const ring = newKeyRing(0);
  await mkdir(dirname(path), { recursive: true });
  const file: KeyFile = {
    current: ring.current.keyId,
    keys: [
      {
        keyId: ring.current.keyId,
        publicKey: Buffer.from(ring.current.publicKey).toString('hex'),
        secretKey: Buffer.from(ring.current.secretKey).toString('hex'),
      },
    ],
  };
  await writeFile(path, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  await chmod(path, 0o600);
  return ring;
}

export function publicKeysJson(ring: TokenKeyRing): Array<{ keyId: number; publicKey: string }> {
  return [...ring.publicKeys].map(([keyId, pk]) => ({ keyId, publicKey: Buffer.from(pk).toString('hex') }));
}
