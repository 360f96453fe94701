/**
 * Turns the printer's real-time status bytes into one state and a sentence an operator can act on.
 * Asks only what it needs: printer and paper status always, offline and error causes when the
 * printer says it is offline.
 */

import type { Clock } from '../../shared/ports/clock.ts';
import { parseStatus, STATUS_QUERY } from './escpos.ts';
import type { PrinterState, PrinterStatus } from './port.ts';

/** A printer that does not answer a status query within this time is offline. */
export const STATUS_TIMEOUT_MS = 2000;
export const NEAR_END_NOTE = ' Paper is nearly out: have a new roll ready.';

const TEXT = {
  coverOpen: 'The printer cover is open: close it and printing continues.',
  paperOut: 'The printer is out of paper: load a new roll and printing continues.',
  cutter: 'The paper cutter is jammed: clear it and press FEED (or power-cycle).',
  fault: 'The printer reports a hardware fault: power-cycle it or call service.',
  hot: 'The print head is too hot: printing continues when it has cooled down.',
  error: 'The printer reports an error: check its lights and paper path.',
  feeding: 'Paper is being fed with the FEED button.',
  offline: 'The printer reports it is offline: check its panel.',
} as const;

export interface StatusProbe {
  status: PrinterStatus;
  /** True once the first query was answered: that answer proves the printer read everything before it. */
  answered: boolean;
}

export type StatusQueryFn = (request: Uint8Array, strayAnswers: number) => Promise<number | null>;

export async function probeStatus(
  query: StatusQueryFn,
  opts: { strays: number; jobDescription: string | undefined; unreachable: () => string; clock: Clock },
): Promise<StatusProbe> {
  const ask = (kind: keyof typeof STATUS_QUERY, skip = 0) => query(STATUS_QUERY[kind], skip);
  const at = (state: PrinterState, detail: string): PrinterStatus => ({ state, detail, checkedAt: opts.clock.now() });
  let answered = false;
  // A later silence (after the first answer) still confirms the data but makes the job wait.
  const noAnswer = (): StatusProbe => ({ answered, status: at('offline', opts.unreachable()) });
  const printerByte = await ask('printer', opts.strays);
  if (printerByte === null) return noAnswer();
  answered = true;
  const paperByte = await ask('paper');
  if (paperByte === null) return noAnswer();
  const printer = parseStatus('printer', printerByte);
  const paper = parseStatus('paper', paperByte);
  const paperNearEnd = paper.paperNearEnd === true;
  const make = (state: PrinterState, detail: string): StatusProbe => ({
    answered: true,
    status: { ...at(state, detail), paperNearEnd },
  });
  if (printer.offline) {
    const offlineByte = await ask('offline');
    if (offlineByte === null) return noAnswer();
    const cause = parseStatus('offline', offlineByte);
    if (cause.coverOpen) return make('cover_open', TEXT.coverOpen);
    if (cause.paperEndStop || paper.paperEnd) return make('paper_out', TEXT.paperOut);
    if (cause.errorOccurred) {
      const errorByte = await ask('error');
      if (errorByte === null) return noAnswer();
      const e = parseStatus('error', errorByte);
      if (e.autocutterError) return make('error', TEXT.cutter);
      if (e.unrecoverableError) return make('error', TEXT.fault);
      if (e.autoRecoverableError) return make('error', TEXT.hot);
      return make('error', TEXT.error);
    }
    return make('offline', cause.paperFedByButton ? TEXT.feeding : TEXT.offline);
  }
  if (paper.paperEnd) return make('paper_out', TEXT.paperOut);
  const note = paperNearEnd ? NEAR_END_NOTE : '';
  if (opts.jobDescription) return make('printing', `Printing ${opts.jobDescription}.${note}`);
  return make('ready', `Ready.${note}`);
}
