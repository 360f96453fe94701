import fs from 'node:fs/promises';
import type { Clock } from '../../shared/ports/clock.ts';
import { sniffImageMime } from '../media/image-signature.ts';
import { endsLikeCompleteImage, errorMessage, type WatchLogger } from './hot-file.ts';
import { INCOMPLETE_FILE_PATIENCE_FACTOR, type TrackedFile } from './hot-folder-options.ts';

/** A file's bytes, with the size and mtime it had while they were read. */
export interface StableRead {
  bytes: Buffer;
  size: number;
  mtimeMs: number;
}

/**
 * Why a file was not read: it is gone ('missing'); it is not ready, its phase and readyAt say when
 * it is tried again ('unready'); or it ends like no image and waited long enough ('not_image').
 */
export type NoStableRead = 'missing' | 'unready' | 'not_image';

/**
 * Reads the file and proves it was not changing meanwhile: size and mtime equal before and after
 * the read and to what the stability check saw, byte count equal to the size, and the format's
 * end marker present.
 */
export async function readStableFile(
  file: TrackedFile,
  stableMs: number,
  clock: Clock,
  log: WatchLogger,
): Promise<StableRead | NoStableRead> {
  const unsettle = () => {
    file.phase = 'settling';
    file.stableSince = clock.now();
    file.readyAt = file.stableSince + stableMs;
  };
  let bytes: Buffer;
  try {
    const before = await fs.stat(file.path);
    if (before.size !== file.size || before.mtimeMs !== file.mtimeMs) {
      file.size = before.size;
      file.mtimeMs = before.mtimeMs;
      unsettle();
      return 'unready';
    }
    bytes = await fs.readFile(file.path);
    const after = await fs.stat(file.path);
    if (after.size !== file.size || after.mtimeMs !== file.mtimeMs || bytes.length !== file.size) {
      file.size = after.size;
      file.mtimeMs = after.mtimeMs;
      unsettle();
      return 'unready';
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    // E.g. still locked by the writer (EBUSY/EPERM on Windows): try again once it settles.
    log.warn({ file: file.name, err: errorMessage(err) }, 'cannot read file yet');
    unsettle();
    return 'unready';
  }

  const kind = sniffImageMime(bytes);
  const complete = kind !== null && endsLikeCompleteImage(bytes, kind);
  if (!complete) {
    const patientUntil = file.stableSince + stableMs * INCOMPLETE_FILE_PATIENCE_FACTOR;
    if (clock.now() < patientUntil) {
      file.phase = 'settling';
      file.readyAt = patientUntil;
      log.warn({ file: file.name }, 'file looks incomplete; waiting for the writer to finish');
      return 'unready';
    }
    if (kind === null) return 'not_image';
  }
  return { bytes, size: file.size, mtimeMs: file.mtimeMs };
}
