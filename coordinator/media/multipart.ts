import { randomBytes } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import busboy from 'busboy';
import { AppError } from '../../shared/errors.ts';

/**
 * Streaming multipart/form-data reader for photo uploads. It holds at most `maxFiles * maxFileBytes`
 * of file data and gives up the moment a limit is crossed instead of reading the rest first. After
 * it gives up, the remainder of the body is read and thrown away (up to
 * MAX_DRAIN_AFTER_REJECT_BYTES) so the caller's error response reaches the client on a healthy
 * connection; a client that keeps sending past that has its connection cut.
 */

export interface UploadedFile {
  fieldName: string;
  /** As sent by the client; informational only (never used to decide the type). */
  fileName: string | null;
  /** The file's bytes; empty when it was spooled to `path`. */
  bytes: Buffer;
  /** With `spoolDir`: the file on disk (the caller reads it when its turn comes, then removes it). */
  path: string | null;
  byteLength: number;
}

export interface MultipartLimits {
  maxFileBytes: number;
  maxFiles: number;
  /** Per text field; defaults to DEFAULT_MAX_FIELD_BYTES. */
  maxFieldBytes?: number;
  /**
   * Write file parts here instead of holding them in memory: an upload that waits for the image
   * decoder then costs disk, not heap. Partial files are removed when the upload fails.
   */
  spoolDir?: string;
}

export const DEFAULT_MAX_FIELD_BYTES = 64 * 1024;
export const MAX_FIELDS = 32;
/** Header lines per part; real clients send two or three. */
const MAX_PART_HEADER_PAIRS = 16;
export const MAX_DRAIN_AFTER_REJECT_BYTES = 8 * 1024 * 1024;

const MULTIPART_FORM_DATA = /^multipart\/form-data(?:\s*;|\s*$)/i;

export async function readMultipartUpload(
  req: IncomingMessage,
  opts: MultipartLimits,
): Promise<{ files: UploadedFile[]; fields: Record<string, string> }> {
  const contentType = req.headers['content-type'] ?? '';
  if (!MULTIPART_FORM_DATA.test(contentType)) {
    drainOrCut(req);
    throw new AppError('not_multipart', 'Send the image as multipart/form-data.');
  }

  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: req.headers,
      defParamCharset: 'utf8',
      limits: {
        // busboy flags a file or field as truncated on reaching its size limit, not on exceeding it;
        // one extra byte makes exactly the maximum acceptable and still never buffers more than that.
        fileSize: opts.maxFileBytes + 1,
        files: opts.maxFiles,
        fieldSize: (opts.maxFieldBytes ?? DEFAULT_MAX_FIELD_BYTES) + 1,
        fields: MAX_FIELDS,
        headerPairs: MAX_PART_HEADER_PAIRS,
      },
    });
  } catch {
    // A multipart content type busboy cannot use, e.g. without a boundary.
    drainOrCut(req);
    throw malformed('The multipart content type has no usable boundary.');
  }

  return new Promise((resolve, reject) => {
    const files: UploadedFile[] = [];
    const fields: Record<string, string> = Object.create(null);
    let openFileStreams = 0;
    let parserClosed = false;
    let settled = false;

    const spooled: Array<{ path: string; sink: WriteStream }> = [];
    const fail = (err: AppError) => {
      if (settled) return;
      settled = true;
      // After the sink has closed: removing a file its stream has not opened yet would leave it behind.
      for (const { path, sink } of spooled) {
        if (sink.closed) void rm(path, { force: true });
        else {
          sink.once('close', () => void rm(path, { force: true }));
          sink.destroy();
        }
      }
      req.unpipe(parser);
      parser.removeAllListeners('file');
      parser.removeAllListeners('field');
      // Keeps a late parser error from becoming an uncaught exception.
      parser.on('error', () => {});
      // Not synchronously: busboy emits limit events from inside its own write and breaks if
      // destroyed there.
      setImmediate(() => parser.destroy());
      drainOrCut(req);
      reject(err);
    };

    const succeedIfDone = () => {
      if (settled || !parserClosed || openFileStreams > 0) return;
      settled = true;
      if (files.length === 0) {
        reject(new AppError('no_file', 'The upload contains no file; attach the image in a file field.'));
      } else {
        resolve({ files, fields });
      }
    };

    parser.on('file', (fieldName, stream, info) => {
      openFileStreams++;
      const chunks: Buffer[] = [];
      let size = 0;
      const spoolPath = opts.spoolDir ? join(opts.spoolDir, `${randomBytes(12).toString('hex')}.part`) : null;
      let sink: WriteStream | null = null;
      if (spoolPath) {
        sink = createWriteStream(spoolPath, { mode: 0o600 });
        spooled.push({ path: spoolPath, sink });
        sink.on('error', () => fail(new AppError('storage_full', 'The upload could not be written to disk.')));
        // Backpressure: a slow disk slows the client instead of filling the heap.
        stream.pipe(sink);
      }
      stream.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (!sink) chunks.push(chunk);
      });
      stream.on('limit', () => {
        fail(
          new AppError(
            'upload_too_large',
            `A file is larger than the limit of ${opts.maxFileBytes} bytes; export it at a smaller size.`,
            { maxFileBytes: opts.maxFileBytes },
          ),
        );
      });
      stream.on('error', () => fail(malformed('A file part ended unexpectedly.')));
      const ended = () => {
        openFileStreams--;
        if (settled) return;
        const fileName = info.filename ? info.filename : null;
        // Browsers send an empty, nameless part for a file input left empty.
        if (size > 0 || fileName !== null) {
          files.push({
            fieldName,
            fileName,
            bytes: sink ? Buffer.alloc(0) : Buffer.concat(chunks, size),
            path: spoolPath,
            byteLength: size,
          });
        } else if (spoolPath) {
          void rm(spoolPath, { force: true });
        }
        succeedIfDone();
      };
      // Spooled: done once the bytes are on disk, not merely read.
      if (sink) sink.on('finish', ended);
      else stream.on('end', ended);
    });

    parser.on('field', (name, value, info) => {
      if (info.nameTruncated) {
        fail(malformed('A form field name is too long.'));
      } else if (info.valueTruncated) {
        fail(new AppError('field_too_large', `The form field "${name}" is too long.`));
      } else {
        fields[name] = value;
      }
    });
    parser.on('filesLimit', () => {
      fail(new AppError('too_many_files', `Send at most ${opts.maxFiles} file(s) per request.`));
    });
    parser.on('fieldsLimit', () => {
      fail(new AppError('too_many_fields', `Send at most ${MAX_FIELDS} form fields per request.`));
    });
    parser.on('partsLimit', () => fail(malformed('The upload has too many parts.')));
    parser.on('error', (err: unknown) => {
      fail(malformed(`The multipart body is malformed: ${err instanceof Error ? err.message : String(err)}.`));
    });
    parser.on('close', () => {
      parserClosed = true;
      succeedIfDone();
    });

    req.on('error', () => fail(new AppError('upload_aborted', 'The upload was interrupted; send it again.')));
    req.on('close', () => {
      // 'close' also follows a completely received body; only an incomplete one means the client left.
      if (!req.complete) fail(new AppError('upload_aborted', 'The upload was interrupted; send it again.'));
    });

    req.pipe(parser);
  });
}

function malformed(message: string): AppError {
  return new AppError('malformed_multipart', message);
}

/**
 * Reads and discards what is left of the body so the error response can be delivered; a client
 * that keeps sending past the allowance is cut off, since its bytes would only cost bandwidth.
 */
export function drainOrCut(req: IncomingMessage): void {
  if (req.complete || req.destroyed) return;
  let drained = 0;
  req.on('data', (chunk: Buffer) => {
    drained += chunk.length;
    if (drained > MAX_DRAIN_AFTER_REJECT_BYTES) req.destroy();
  });
  req.on('error', () => {});
  req.resume();
}
