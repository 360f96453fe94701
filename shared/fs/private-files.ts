import { chmod, lstat, open, readdir } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Data dirs hold secrets (feed seeds, venue topics, key pairs, fans' redemption tokens, credential
 * hashes): readable by their owner only, as sshd demands of ~/.ssh. New files are created with
 * these modes; at start every data dir is checked, and anything looser is fixed with a warning.
 */
export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;
/** Group and other bits: any of them set is too open. */
const OPEN_BITS = 0o077;

export interface PermissionFix {
  path: string;
  /** Octal, as `stat -c %a` prints it. */
  from: string;
  to: string;
}

interface WarnLogger {
  warn(obj: object, msg: string): void;
}

async function tighten(path: string, mode: number): Promise<PermissionFix | null> {
  let stat: Awaited<ReturnType<typeof lstat>>;
  try {
    stat = await lstat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  // A symlink's own mode means nothing; its target may be anything the operator chose.
  if (stat.isSymbolicLink()) return null;
  const current = stat.mode & 0o777;
  if ((current & OPEN_BITS) === 0) return null;
  await chmod(path, mode);
  return { path, from: current.toString(8), to: mode.toString(8) };
}

/**
 * Makes `dir` 0700 and every regular file directly in it 0600, plus the `extraFiles` (e.g. a SQLite
 * file configured outside the data dir, with its -wal and -shm). Sub-directories (feed storage)
 * are covered by the 0700 of the dir above them. Returns what was changed, and warns once if any.
 */
export async function securePrivateData(
  dir: string,
  logger: WarnLogger,
  extraFiles: readonly string[] = [],
): Promise<PermissionFix[]> {
  const fixes: PermissionFix[] = [];
  const dirFix = await tighten(dir, PRIVATE_DIR_MODE);
  if (dirFix) fixes.push(dirFix);
  const files = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isFile()).map((e) => join(dir, e.name));
  for (const file of [...files, ...extraFiles]) {
    const fix = await tighten(file, PRIVATE_FILE_MODE);
    if (fix) fixes.push(fix);
  }
  if (fixes.length > 0) {
    logger.warn(
      { fixed: fixes },
      `data readable by other local users: made ${fixes.length} path(s) private (dirs 700, files 600)`,
    );
  }
  return fixes;
}

/** Creates `path` empty with mode 0600 if it does not exist (before a library creates it with 0644). */
export async function ensurePrivateFile(path: string): Promise<void> {
  const handle = await open(path, 'a', PRIVATE_FILE_MODE);
  await handle.close();
}

/** A SQLite database and the files SQLite keeps beside it. */
export function sqliteFiles(path: string): string[] {
  return [path, `${path}-wal`, `${path}-shm`, `${path}-journal`];
}
