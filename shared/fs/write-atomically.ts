import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';

/**
 * Temp file in the same folder, fsync, rename: readers (and a restart after a crash) see the whole file
 * or the old one. `durable: false` skips the fsync for files a crash may lose (previews): readers
 * still never see half a file.
 */
export async function writeAtomically(
  target: string,
  data: Uint8Array | string,
  opts: { mode?: number; durable?: boolean } = {},
): Promise<void> {
  const temp = path.join(path.dirname(target), `.${path.basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
  // `mode` is for new files holding secrets (0600); the rename keeps the temp file's mode.
  const handle = await fs.open(temp, 'wx', opts.mode ?? 0o666);
  try {
    try {
      await handle.writeFile(data);
      if (opts.durable !== false) await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(temp, target);
  } catch (err) {
    // A full disk fails the write: the partial temp file must not stay and take what space is left.
    await fs.rm(temp, { force: true });
    throw err;
  }
}
