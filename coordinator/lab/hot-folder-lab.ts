import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { AppError } from '../../shared/errors.ts';
import type { Random } from '../../shared/ports/random.ts';
import { randomId } from '../../shared/ports/random.ts';
import { labStatusSchema } from '../../shared/protocol/lab-manifest.ts';
import type { LabPackage, LabPort, LabStatusUpdate } from './port.ts';

/** A status file name a lab may use: no paths, no hidden files. */
const STATUS_FILE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,150}\.json$/;
const MAX_STATUS_FILE_BYTES = 16 * 1024;
/** Status files read per poll; the rest wait for the next one. */
export const MAX_STATUSES_PER_POLL = 200;

/**
 * The hot-folder lab: the drop that labs and in-house print rooms poll (a local folder, or one an
 * SFTP server exposes). Layout under `root`:
 *
 *   orders/<jobId>/           one complete package: manifest.json, the print files, packing-slip.txt
 *   status/<name>.json        written by the lab (vpm-lab-status/1); read back, then moved to status/done/
 *   status/invalid/           status files that did not parse (kept for a person to look at)
 *   .partial/                 packages being written; renamed into orders/ whole, so a lab never sees half
 *
 * A package appears in orders/ by one rename, so a lab sees all of it or none; a job whose folder
 * exists is never written again (idempotent submit: an outbox retry after a crash sends nothing twice).
 */
export class HotFolderLab implements LabPort {
  readonly name = 'hot-folder';
  readonly #root: string;
  readonly #random: Random;
  readonly #logger: Logger | undefined;
  #prepared: Promise<void> | null = null;

  constructor(opts: { root: string; random: Random; logger?: Logger }) {
    this.#root = opts.root;
    this.#random = opts.random;
    this.#logger = opts.logger;
  }

  get ordersDir(): string {
    return join(this.#root, 'orders');
  }

  get statusDir(): string {
    return join(this.#root, 'status');
  }

  #prepare(): Promise<void> {
    this.#prepared ??= (async () => {
      // Half-written packages of a crashed process: never handed off, rebuilt by the outbox retry.
      await rm(join(this.#root, '.partial'), { recursive: true, force: true });
      for (const dir of ['.partial', 'orders', 'status', 'status/done', 'status/invalid']) {
        await mkdir(join(this.#root, dir), { recursive: true });
      }
    })();
    return this.#prepared;
  }

  async submit(pkg: LabPackage): Promise<{ labRef: string }> {
    await this.#prepare();
    const jobId = pkg.manifest.jobId;
    const final = join(this.ordersDir, jobId);
    if (await exists(final)) return { labRef: `orders/${jobId}` };
    const partial = join(this.#root, '.partial', `${jobId}-${randomId(this.#random, 6)}`);
    try {
      await mkdir(partial);
      for (const f of pkg.files) await writeFile(join(partial, f.name), f.bytes);
      await writeFile(join(partial, 'packing-slip.txt'), pkg.packingSlip);
      // The manifest last: a lab that keys on it never sees a package without its files.
      await writeFile(join(partial, 'manifest.json'), `${JSON.stringify(pkg.manifest, null, 2)}\n`);
      await rename(partial, final);
    } catch (err) {
      await rm(partial, { recursive: true, force: true });
      // Another process handed the same job off first: same package, nothing to do.
      if (await exists(final)) return { labRef: `orders/${jobId}` };
      throw new AppError('lab_unavailable', `cannot write to the lab's hot folder: ${(err as Error).message}`);
    }
    return { labRef: `orders/${jobId}` };
  }

  async pendingStatuses(): Promise<LabStatusUpdate[]> {
    await this.#prepare();
    const names = (await readdir(this.statusDir, { withFileTypes: true }))
      .filter((e) => e.isFile() && STATUS_FILE.test(e.name))
      .map((e) => e.name)
      .sort()
      .slice(0, MAX_STATUSES_PER_POLL);
    const updates: LabStatusUpdate[] = [];
    for (const name of names) {
      const path = join(this.statusDir, name);
      let parsed: ReturnType<typeof labStatusSchema.safeParse> | null = null;
      try {
        if ((await stat(path)).size <= MAX_STATUS_FILE_BYTES) {
          parsed = labStatusSchema.safeParse(JSON.parse(await readFile(path, 'utf8')));
        }
      } catch (err) {
        // A file the lab is still writing, or not JSON: looked at again next poll, then set aside.
        if (!(err instanceof SyntaxError)) throw err;
      }
      if (!parsed?.success) {
        this.#logger?.warn({ file: name }, 'lab status file is not valid: moved to status/invalid');
        await rename(path, join(this.statusDir, 'invalid', name)).catch(() => undefined);
        continue;
      }
      const s = parsed.data;
      updates.push({
        receipt: name,
        jobId: s.jobId,
        status: s.status,
        at: Date.parse(s.at),
        ...(s.carrier ? { carrier: s.carrier } : {}),
        ...(s.trackingNumber ? { trackingNumber: s.trackingNumber } : {}),
        ...(s.reason ? { reason: s.reason } : {}),
      });
    }
    return updates;
  }

  async acknowledge(receipt: string): Promise<void> {
    if (!STATUS_FILE.test(receipt)) return;
    await rename(join(this.statusDir, receipt), join(this.statusDir, 'done', receipt)).catch(
      (err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      },
    );
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
