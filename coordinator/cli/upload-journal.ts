import fs from 'node:fs/promises';
import path from 'node:path';
import type { UploadOutcome, WatchLogger } from './hot-file.ts';

/**
 * The hot-folder uploader's journal: one JSON line per file uploaded (or found to be a duplicate),
 * fsync'd, so a restart never uploads the same photo twice. A torn last line is cut off on open.
 */
export interface JournalRecord {
  sha256: string;
  name: string;
  size: number;
  mtimeMs: number;
  outcome: UploadOutcome;
  at: number;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

function parseJournalRecord(line: string): JournalRecord | null {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return null;
  }
  const r = value as Partial<JournalRecord> | null;
  if (
    typeof r !== 'object' ||
    r === null ||
    typeof r.sha256 !== 'string' ||
    !SHA256_HEX.test(r.sha256) ||
    typeof r.name !== 'string' ||
    typeof r.size !== 'number' ||
    typeof r.mtimeMs !== 'number'
  ) {
    return null;
  }
  return {
    sha256: r.sha256,
    name: r.name,
    size: r.size,
    mtimeMs: r.mtimeMs,
    outcome: r.outcome === 'duplicate' ? 'duplicate' : 'uploaded',
    at: typeof r.at === 'number' ? r.at : 0,
  };
}

/**
 * Append-only JSON lines, fsync'd per record: once a record is on disk the file is never sent
 * again. A crash can leave a torn last line; it is cut off on open (the upload it described is
 * then repeated, and the coordinator answers "duplicate").
 */
export class UploadJournal {
  private constructor(private readonly handle: fs.FileHandle) {}

  static async open(file: string, logger: WatchLogger): Promise<{ journal: UploadJournal; records: JournalRecord[] }> {
    await fs.mkdir(path.dirname(file), { recursive: true });
    const handle = await fs.open(file, 'a+');
    try {
      const text = (await handle.readFile()).toString('utf8');
      const completeLength = text.endsWith('\n') || text.length === 0 ? text.length : text.lastIndexOf('\n') + 1;
      const records: JournalRecord[] = [];
      const lines = text.slice(0, completeLength).split('\n');
      for (const [index, line] of lines.entries()) {
        if (line.trim() === '') continue;
        const record = parseJournalRecord(line);
        if (record) records.push(record);
        else logger.warn({ journal: file, line: index + 1 }, 'ignoring unreadable journal line');
      }
      if (completeLength < text.length) {
        logger.warn({ journal: file, bytes: text.length - completeLength }, 'cutting off a torn last journal line');
        // Byte length, not string length: the torn tail may hold multi-byte characters.
        await handle.truncate(Buffer.byteLength(text.slice(0, completeLength), 'utf8'));
        await handle.sync();
      }
      return { journal: new UploadJournal(handle), records };
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  async append(record: JournalRecord): Promise<void> {
    await this.handle.appendFile(`${JSON.stringify(record)}\n`, 'utf8');
    await this.handle.sync();
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}
