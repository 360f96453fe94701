import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * An append-only JSON-lines journal as it is on disk when it is opened: its folder made if missing,
 * no file yet read as empty. `lines` are the whole lines only: the piece after the last newline is
 * either empty or a torn line (crash mid-write), and everything before it was fsync'd whole.
 */
export async function readJournalLines(path: string): Promise<{ text: string; lines: string[] }> {
  await mkdir(dirname(path), { recursive: true });
  let text = '';
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  return { text, lines: text.split('\n').slice(0, -1) };
}
