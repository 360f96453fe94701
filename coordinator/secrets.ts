import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import crypto from 'hypercore-crypto';
import type { KeyPair } from '../shared/feed/feed-layout.ts';
import type { Random } from '../shared/ports/random.ts';

/**
 * Secrets a one-machine coordinator generates on first start and keeps in its data dir (mode 0600),
 * so `npm start` works on a fresh clone. Production sets them through the environment instead.
 */
export async function readOrCreateSecret(
  path: string,
  random: Random,
  bytes = 24,
): Promise<{ value: string; created: boolean }> {
  try {
    return { value: (await readFile(path, 'utf8')).trim(), created: false };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const value = random.bytes(bytes).toString('base64url');
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${value}\n`, { mode: 0o600 });
  return { value, created: true };
}

/** This instance's swarm identity: stable across restarts so peers' firewalls keep admitting it. */
export async function readOrCreateKeyPair(path: string, random: Random): Promise<KeyPair> {
  const { value } = await readOrCreateSecret(path, random, 32);
  return crypto.keyPair(Buffer.from(value, 'base64url'));
}
