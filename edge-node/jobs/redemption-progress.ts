import { type ErrorCode, isAppError } from '../../shared/errors.ts';
import type { PrintUnitJob } from '../../shared/protocol/printer-api.ts';
import type { FetchSource } from '../mesh/image-fetcher.ts';

/** What a redemption looks like while it runs: the kiosk, the local API and the CLI show this. */
export type UnitState = 'queued' | 'local' | 'fetching_lan' | 'fetching_cloud' | 'printing' | 'printed' | 'failed';

export interface UnitProgress {
  unit: number;
  imageId: string;
  copy: number;
  state: UnitState;
  /** Where the photo came from: already here, a LAN neighbour, or the cloud (last one used). */
  source?: FetchSource;
  detail?: string;
  /** Where to collect this print, on a station with several photo printers. */
  tray?: string;
}

/** Why an order or a print stopped: a registry code (the kiosk words it) and the message for logs and the CLI. */
export interface ProgressError {
  code: ErrorCode;
  message: string;
}

/** Any thrown value as a progress error: our coded errors keep their code. */
export function progressError(err: unknown): ProgressError {
  if (isAppError(err)) return { code: err.code, message: err.message };
  return { code: 'internal_error', message: (err as Error)?.message ?? String(err) };
}

export interface RedemptionProgress {
  orderId: string;
  code: string;
  units: UnitProgress[];
  done: boolean;
  error?: ProgressError;
}

/**
 * An order's progress as it starts printing here: a unit the coordinator counts as printed, or that
 * the job log has as printed here (`printedHere`, before a crash), is not printed again.
 */
export function newProgress(
  orderId: string,
  code: string,
  units: readonly PrintUnitJob[],
  printedHere: ReadonlySet<number> | undefined,
): RedemptionProgress {
  return {
    orderId,
    code,
    done: false,
    units: units.map((u) => ({
      unit: u.unit,
      imageId: u.imageId,
      copy: u.copy,
      state: u.printed || printedHere?.has(u.unit) ? 'printed' : 'queued',
    })),
  };
}

/** The progress state of a unit whose photo is on its way from `source`. */
export function sourceState(source: FetchSource): UnitState {
  return source === 'local' ? 'local' : source === 'lan' ? 'fetching_lan' : 'fetching_cloud';
}

export function summarize(units: UnitProgress[]): Array<{ imageId: string; copies: number }> {
  const copies = new Map<string, number>();
  for (const u of units) copies.set(u.imageId, (copies.get(u.imageId) ?? 0) + 1);
  return [...copies].map(([imageId, n]) => ({ imageId, copies: n }));
}

/** Index of the first promise (in array order) that has settled once any has. */
export async function firstSettled(promises: Array<Promise<unknown>>): Promise<{ index: number }> {
  const settled = new Array<boolean>(promises.length).fill(false);
  const marks = promises.map((p, i) =>
    p.then(
      () => {
        settled[i] = true;
      },
      () => {
        settled[i] = true;
      },
    ),
  );
  await Promise.race(marks);
  // Let every promise that is already settled mark itself, so order is respected among them.
  await Promise.resolve();
  return { index: Math.max(0, settled.indexOf(true)) };
}
