import { type FileHandle, open } from 'node:fs/promises';
import { z } from 'zod';
import { AppError } from '../../shared/errors.ts';
import { readJournalLines } from '../../shared/fs/journal-lines.ts';
import { PRIVATE_FILE_MODE } from '../../shared/fs/private-files.ts';
import { writeAtomically } from '../../shared/fs/write-atomically.ts';
import { Resource } from '../../shared/lifecycle/resource.ts';

/**
 * The edge node's durable record of own-photo jobs released to it: one JSON line a step, fsync'd
 * before the step is acted on, so after a crash (even kill -9) the node knows which photos it
 * printed and reports them rather than printing them again.
 *
 *   released  the coordinator gave us the job (units listed)
 *   printing  about to send a unit to the printer
 *   printed   the printer accepted the unit
 *   reported  the coordinator has the outcome (printed, or failed: the job is free to retry)
 *
 * As with the order job log, a unit "printing" but not "printed" after a crash is printed again:
 * a duplicate print is recoverable at the counter, a lost one is not.
 */
const unitSchema = z.object({ unit: z.number().int().min(0), n: z.number().int().min(0), sha256: z.string() });
const recordSchema = z.discriminatedUnion('t', [
  z.object({
    t: z.literal('released'),
    jobId: z.string(),
    code: z.string(),
    units: z.array(unitSchema),
    at: z.number(),
  }),
  z.object({ t: z.enum(['printing', 'printed']), jobId: z.string(), unit: z.number().int(), at: z.number() }),
  z.object({ t: z.literal('reported'), jobId: z.string(), outcome: z.enum(['printed', 'failed']), at: z.number() }),
]);
export type OwnPhotoJournalRecord = z.infer<typeof recordSchema>;
export type JournalUnit = z.infer<typeof unitSchema>;

export interface JournalJob {
  jobId: string;
  code: string;
  units: JournalUnit[];
  printed: Set<number>;
  reported: 'printed' | 'failed' | null;
}

export class OwnPhotoJournal extends Resource {
  readonly #path: string;
  readonly #jobs = new Map<string, JournalJob>();
  #file: FileHandle | null = null;
  #writing: Promise<void> = Promise.resolve();

  constructor(path: string) {
    super();
    this.#path = path;
  }

  protected override async _open(): Promise<void> {
    // A torn last line (crash mid-write) is dropped by readJournalLines.
    const { lines } = await readJournalLines(this.#path);
    for (const line of lines) {
      let json: unknown;
      try {
        json = JSON.parse(line);
      } catch {
        continue;
      }
      const record = recordSchema.safeParse(json);
      if (record.success) this.#apply(record.data);
    }
    // Finished jobs are dropped at each start, so the journal holds only what may need resuming.
    const unfinished = [...this.#jobs.values()].filter((j) => j.reported === null);
    for (const j of [...this.#jobs.values()]) if (j.reported !== null) this.#jobs.delete(j.jobId);
    const kept = unfinished.flatMap((j) => [
      JSON.stringify({ t: 'released', jobId: j.jobId, code: j.code, units: j.units, at: 0 }),
      ...[...j.printed].map((unit) => JSON.stringify({ t: 'printed', jobId: j.jobId, unit, at: 0 })),
    ]);
    await writeAtomically(this.#path, kept.length ? `${kept.join('\n')}\n` : '', { mode: PRIVATE_FILE_MODE });
    this.#file = await open(this.#path, 'a', PRIVATE_FILE_MODE);
  }

  protected override async _close(): Promise<void> {
    await this.#writing.catch(() => {});
    await this.#file?.close();
    this.#file = null;
  }

  get(jobId: string): JournalJob | undefined {
    return this.#jobs.get(jobId);
  }

  /** Jobs released here whose outcome the coordinator does not have yet. */
  unfinished(): JournalJob[] {
    return [...this.#jobs.values()].filter((j) => j.reported === null);
  }

  /** Appends and fsyncs; resolves once the record is durable. Calls are serialized. */
  append(record: OwnPhotoJournalRecord): Promise<void> {
    const write = this.#writing.then(async () => {
      const file = this.#file;
      if (!file) throw new AppError('shutting_down', 'The own-photo journal is closed; the step is not recorded.');
      await file.write(`${JSON.stringify(record)}\n`);
      await file.sync();
      this.#apply(record);
    });
    this.#writing = write.catch(() => {});
    return write;
  }

  #apply(r: OwnPhotoJournalRecord): void {
    if (r.t === 'released') {
      const known = this.#jobs.get(r.jobId);
      // A second release of the same job (a retry after a failure) keeps what was printed before.
      this.#jobs.set(r.jobId, {
        jobId: r.jobId,
        code: r.code,
        units: r.units,
        printed: known && known.reported !== 'failed' ? known.printed : new Set(),
        reported: null,
      });
      return;
    }
    const job = this.#jobs.get(r.jobId);
    if (!job) return;
    if (r.t === 'printed') job.printed.add(r.unit);
    if (r.t === 'reported') job.reported = r.outcome;
  }
}
