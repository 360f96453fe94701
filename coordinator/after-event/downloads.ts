import { createHmac, timingSafeEqual } from 'node:crypto';
import { AppError } from '../../shared/errors.ts';
import { type Random, randomId } from '../../shared/ports/random.ts';
import { mediaKey } from '../media/media-keys.ts';
import type { Store } from '../store/port.ts';
import type { AfterEventConfig } from './deps.ts';
import type { DownloadGrantRecord, ReorderRecord } from './records.ts';
import type { ReorderStore } from './store-port.ts';

const MAC_CHARS = 32;
const TOKEN = /^([A-Za-z0-9_-]{16,64})\.([A-Za-z0-9_-]{32})$/;

/** The grants a paid reorder gets: one per digital file, one per photo of the bundle. */
export function newGrants(
  random: Random,
  reorder: ReorderRecord,
  paidAt: number,
  config: Pick<AfterEventConfig, 'downloadWindowMs' | 'downloadMaxUses'>,
): DownloadGrantRecord[] {
  const imageIds = [
    ...reorder.lines.filter((l) => !l.physical).map((l) => l.imageId),
    ...(reorder.bundle?.imageIds ?? []),
  ];
  return [...new Set(imageIds)].map((imageId, n) => ({
    id: randomId(random, 16),
    reorderId: reorder.id,
    imageId,
    fileName: `photo-${n + 1}-${imageId}.jpg`,
    maxUses: config.downloadMaxUses,
    usesLeft: config.downloadMaxUses,
    expiresAt: paidAt + config.downloadWindowMs,
    createdAt: paidAt,
    revokedAt: null,
  }));
}

function mac(secret: string, grantId: string): string {
  return createHmac('sha256', secret).update(`download.${grantId}`).digest('base64url').slice(0, MAC_CHARS);
}

/** A link is the grant id and its signature: not guessable, and useless if the grant is revoked. */
export function signDownloadToken(secret: string, grantId: string): string {
  return `${grantId}.${mac(secret, grantId)}`;
}

export function verifyDownloadToken(secret: string, token: string): string {
  const m = TOKEN.exec(token);
  if (!m) throw new AppError('download_not_found');
  const expected = Buffer.from(mac(secret, m[1]!));
  const given = Buffer.from(m[2]!);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw new AppError('download_not_found');
  return m[1]!;
}

/**
 * Serves one use of a download link: the master exactly as stored (byte for byte), with the file
 * name to save it as. Uses are counted atomically before the bytes go out.
 */
export async function useDownload(
  deps: { store: Store; reorders: ReorderStore; secret: string; now: number },
  token: string,
): Promise<{ bytes: Buffer; contentType: string; fileName: string; usesLeft: number }> {
  const grantId = verifyDownloadToken(deps.secret, token);
  const use = await deps.reorders.useGrant(grantId, deps.now);
  if (!use.ok) {
    throw new AppError(
      use.reason === 'expired'
        ? 'download_expired'
        : use.reason === 'used_up'
          ? 'download_used_up'
          : 'download_not_found',
    );
  }
  const master = await deps.store.getMedia(mediaKey.master(use.grant.imageId));
  if (!master) throw new AppError('download_not_found', 'This photo is no longer kept.');
  return {
    bytes: master.bytes,
    contentType: master.contentType,
    fileName: use.grant.fileName,
    usesLeft: use.grant.usesLeft,
  };
}
