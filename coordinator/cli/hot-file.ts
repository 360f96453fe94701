import path from 'node:path';
import { AppError, isAppError } from '../../shared/errors.ts';
import type { StructuredLogger } from '../../shared/ports/logger.ts';
import type { ImageMime } from '../media/image-signature.ts';

/** What the hot-folder uploader and its HTTP uploader share: the file handed over, outcomes, file checks. */
export interface HotFile {
  path: string;
  fileName: string;
  bytes: Buffer;
  /** Hex sha256 of `bytes`. */
  sha256: string;
}

export type UploadOutcome = 'uploaded' | 'duplicate';
export type UploadFn = (file: HotFile) => Promise<UploadOutcome>;

export type WatchLogger = StructuredLogger;

/**
 * What an UploadFn throws when retrying cannot help (the coordinator refused the file, e.g. it is not
 * a valid image or the token is wrong): the file is recorded as failed and left alone until it
 * changes or the uploader restarts. The coordinator's HTTP status is kept as the error's status, its
 * error code as `details.remoteCode`.
 */
export function uploadRejected(message: string, opts: { status?: number; code?: string } = {}): AppError {
  return new AppError('upload_rejected', message, { remoteCode: opts.code ?? null }, { status: opts.status });
}

export function isUploadRejected(err: unknown): err is AppError {
  return isAppError(err, 'upload_rejected');
}

const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png']);
const TEMP_SUFFIXES = ['.tmp', '.temp', '.part', '.partial', '.crdownload', '.download'];

/** Whether a directory entry name can be a finished shot (dotfiles, editor and copy temp files are not). */
export function isCandidateFileName(name: string): boolean {
  const lower = name.toLowerCase();
  if (lower.startsWith('.') || lower.startsWith('~')) return false;
  if (TEMP_SUFFIXES.some((suffix) => lower.endsWith(suffix))) return false;
  return IMAGE_EXTENSIONS.has(path.extname(lower));
}

const PNG_IEND_CHUNK = Buffer.from([0, 0, 0, 0, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82]);

export function endsLikeCompleteImage(bytes: Buffer, mime: ImageMime): boolean {
  if (mime === 'image/png') return bytes.subarray(-PNG_IEND_CHUNK.length).equals(PNG_IEND_CHUNK);
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0) end--; // some writers pad after EOI
  return end >= 2 && bytes[end - 2] === 0xff && bytes[end - 1] === 0xd9;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
