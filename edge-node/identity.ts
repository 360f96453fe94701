import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import crypto from 'hypercore-crypto';
import QRCode from 'qrcode';

export interface NodeIdentity {
  publicKey: Buffer;
  secretKey: Buffer;
  /** What the operator types or scans to pair this printer: its public key, hex. */
  pairingCode: string;
}

/**
 * The printer's Ed25519 key pair, generated on first start and kept (mode 0600). It signs printer
 * API calls and is the printer's identity on the swarm, so the operator pairs exactly this key.
 */
export async function loadOrCreateIdentity(path: string): Promise<NodeIdentity & { created: boolean }> {
  try {
    const stored = JSON.parse(await readFile(path, 'utf8')) as { secretKey?: string };
    if (typeof stored.secretKey !== 'string' || !/^[0-9a-f]{128}$/.test(stored.secretKey)) {
      throw new Error(`identity file ${path} is damaged: restore it from backup or delete it and pair again`);
    }
    const secretKey = Buffer.from(stored.secretKey, 'hex');
    const publicKey = secretKey.subarray(32);
    return { publicKey, secretKey, pairingCode: publicKey.toString('hex'), created: false };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const { publicKey, secretKey } = crypto.keyPair();
  await mkdir(dirname(path), { recursive: true });
  await writeFile(
    path,
    `${JSON.stringify({ publicKey: publicKey.toString('hex'), secretKey: secretKey.toString('hex') })}\n`,
    {
      mode: 0o600,
      flag: 'wx',
    },
  );
  await chmod(path, 0o600);
  return { publicKey, secretKey, pairingCode: publicKey.toString('hex'), created: true };
}

/** The pairing code as a QR code: a PNG file for the kiosk screen and text for a terminal. */
export async function pairingQr(code: string): Promise<{ png: Buffer; terminal: string }> {
  const segments = [{ data: code.toUpperCase(), mode: 'alphanumeric' as const }];
  return {
    png: await QRCode.toBuffer(segments, { type: 'png', errorCorrectionLevel: 'M', scale: 6 }),
    terminal: await QRCode.toString(segments, { type: 'utf8', errorCorrectionLevel: 'L' }),
  };
}
