/**
 * Turns a printer's IPP attributes into what a photo station decides with: can it print the
 * station's media now, why not (in words an operator acts on), and how many prints are left.
 */
import type { PrinterState } from '../port.ts';
import { type Attributes, numbers, PrinterStateEnum, strings } from './client.ts';

/** `printer-state-reasons` keywords (severity suffix removed) that stop a photo printer. */
const BLOCKING_REASONS: ReadonlyArray<readonly [string, PrinterState, string]> = [
  ['media-empty', 'paper_out', 'is out of paper: load a new roll'],
  ['media-needed', 'paper_out', 'needs paper: load a new roll'],
  ['marker-supply-empty', 'paper_out', 'is out of ribbon: load a new ribbon'],
  ['marker-waste-full', 'error', 'has a full waste bin: empty it'],
  ['toner-empty', 'paper_out', 'is out of ribbon: load a new ribbon'],
  ['media-jam', 'error', 'has a paper jam: open it and clear the paper path'],
  ['cover-open', 'cover_open', 'has its cover open: close it'],
  ['door-open', 'cover_open', 'has a door open: close it'],
  ['input-tray-missing', 'error', 'is missing its paper tray: put it back'],
  ['offline', 'offline', 'is offline: check its panel'],
  ['shutdown', 'offline', 'is shutting down'],
];
const SEVERITY_SUFFIX = /-(report|warning|error)$/;

export interface PrinterHealth {
  /** Can take the next unit now (state aside from being busy with one). */
  canPrint: boolean;
  state: PrinterState;
  /** Operator-readable sentence. */
  detail: string;
  reasons: string[];
  mediaReady: string[];
  /** From marker-levels (percent of the ribbon/roll) when the printer reports one; null otherwise. */
  markerPercent: number | null;
  model: string;
  /** printer-state stopped: a CUPS queue that paused itself after a failed job (or by hand). */
  stopped: boolean;
  /** Stopped while nothing else blocks it any more. */
  stoppedButClear: boolean;
  /**
   * Blocked only by a `printer-state-reasons` keyword. A CUPS queue keeps its backend's last reasons
   * until the backend runs again, so after a resume this may be stale (see IppPhotoPrinter's probe).
   */
  blockedByReason?: boolean;
  documentFormats: string[];
}

export function reasonBase(reason: string): string {
  return reason.replace(SEVERITY_SUFFIX, '');
}

export function healthFrom(a: Attributes, printerName: string, media: string): PrinterHealth {
  const reasons = strings(a['printer-state-reasons']).filter((r) => r !== 'none');
  const mediaReady = strings(a['media-ready']);
  const state = numbers(a['printer-state'])[0] ?? PrinterStateEnum.idle;
  const levels = numbers(a['marker-levels']).filter((l) => l >= 0);
  const markerPercent = levels.length > 0 ? Math.min(...levels) : null;
  const model = String(a['printer-make-and-model']?.values[0] ?? 'unknown');
  const documentFormats = strings(a['document-format-supported']);
  const stopped = state === PrinterStateEnum.stopped;
  const base = { reasons, mediaReady, markerPercent, model, documentFormats, stopped, stoppedButClear: false };
  for (const [reason, pstate, words] of BLOCKING_REASONS) {
    if (reasons.some((r) => reasonBase(r) === reason)) {
      const paused = stopped ? ' Its queue is paused and is resumed automatically.' : '';
      return {
        ...base,
        canPrint: false,
        blockedByReason: true,
        state: pstate,
        detail: `Printer ${printerName} ${words}.${paused}`,
      };
    }
  }
  if (mediaReady.length > 0 && !mediaReady.includes(media)) {
    return {
      ...base,
      canPrint: false,
      state: 'paper_out',
      detail: `Printer ${printerName} has no ${media} loaded (loaded: ${mediaReady.join(', ')}): load the station's paper.`,
    };
  }
  if (markerPercent === 0) {
    return { ...base, canPrint: false, state: 'paper_out', detail: `Printer ${printerName} is out of ribbon.` };
  }
  if (stopped) {
    return {
      ...base,
      stoppedButClear: true,
      canPrint: false,
      state: 'offline',
      detail: `Printer ${printerName} is paused; it is resumed automatically.`,
    };
  }
  return { ...base, canPrint: true, state: 'ready', detail: `Printer ${printerName} is ready.` };
}

/** The printer could not be asked at all. */
export function unreachableHealth(printerName: string, why: string): PrinterHealth {
  return {
    canPrint: false,
    state: 'offline',
    detail: `Printer ${printerName} does not answer (${why}): check its power and network cable.`,
    reasons: ['offline'],
    mediaReady: [],
    markerPercent: null,
    model: 'unknown',
    stopped: false,
    stoppedButClear: false,
    documentFormats: [],
  };
}

export interface MediaSize {
  /** PWG self-describing name, e.g. na_index-4x6_4x6in. */
  name: string;
  widthIn: number;
  heightIn: number;
}

/** Reads the size from a PWG media name (`..._4x6in`, `..._100x150mm`); portrait (width ≤ height). */
export function parseMediaName(name: string): MediaSize | null {
  const m = /_(\d+(?:\.\d+)?)x(\d+(?:\.\d+)?)(in|mm)$/.exec(name);
  if (!m) return null;
  const scale = m[3] === 'mm' ? 1 / 25.4 : 1;
  const a = Number(m[1]) * scale;
  const b = Number(m[2]) * scale;
  return { name, widthIn: Math.min(a, b), heightIn: Math.max(a, b) };
}
