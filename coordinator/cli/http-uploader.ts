import { AppError } from '../../shared/errors.ts';
import { sniffImageMime } from '../media/image-signature.ts';
import { errorMessage, type UploadFn, uploadRejected } from './hot-file.ts';
export const UPLOAD_TIMEOUT_MS = 120_000;
/** Enough of an error body to log the coordinator's code and message. */
const MAX_ERROR_BODY_CHARS = 2000;

/**
 * Uploads one file to the coordinator's image endpoint. 201 is a new image, 200 with
 * `duplicate: true` one the event already has. 4xx answers (except 408 and 429) are permanent;
 * everything else, including network errors and timeouts, is worth retrying.
 */
export function httpUploader(opts: {
  coordinatorUrl: string;
  eventId: string;
  token: string;
  timeoutMs?: number;
}): UploadFn {
  const url = `${opts.coordinatorUrl.replace(/\/+$/, '')}/api/events/${encodeURIComponent(opts.eventId)}/images`;
  const timeoutMs = opts.timeoutMs ?? UPLOAD_TIMEOUT_MS;

  return async (file) => {
    const mime = sniffImageMime(file.bytes);
    const form = new FormData();
    form.append(
      'image',
      new Blob([new Uint8Array(file.bytes)], { type: mime ?? 'application/octet-stream' }),
      file.fileName,
    );

    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers: { authorization: `Bearer ${opts.token}` },
        body: form,
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      throw new AppError(
        'coordinator_unreachable',
        `cannot reach the coordinator at ${url}: ${errorMessage(err)}`,
        undefined,
        {
          cause: err,
        },
      );
    }
    const text = await res.text().catch(() => '');
    const body = parseJson(text);

    if (res.status === 200 || res.status === 201) {
      const image = (body as { image?: { sha256?: unknown } } | null)?.image;
      if (!image) {
        throw new AppError(
          'coordinator_answer_invalid',
          `unexpected answer from the coordinator (${res.status}): ${text.slice(0, 200)}`,
        );
      }
      if (typeof image.sha256 === 'string' && image.sha256 !== file.sha256) {
        // The bytes were altered in transit; sending them again is the fix.
        throw new AppError(
          'coordinator_answer_invalid',
          `the coordinator stored content ${image.sha256}, not ${file.sha256}`,
        );
      }
      return res.status === 200 && (body as { duplicate?: unknown }).duplicate === true ? 'duplicate' : 'uploaded';
    }

    const error = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
    const code = typeof error?.code === 'string' ? error.code : undefined;
    const message = typeof error?.message === 'string' ? error.message : text.slice(0, MAX_ERROR_BODY_CHARS);
    const description = `coordinator answered ${res.status}${code ? ` ${code}` : ''}: ${message}`;
    if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429) {
      throw uploadRejected(description, { status: res.status, code });
    }
    throw new AppError('coordinator_error', description, { remoteCode: code ?? null }, { status: res.status });
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
