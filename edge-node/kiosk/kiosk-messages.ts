import type { ErrorCode } from '../../shared/errors.ts';
import type { PrinterState } from '../printing/port.ts';

/** What the kiosk screen says when it cannot print a code: a headline, one sentence of what to do. */
export interface KioskMessage {
  /** Stable: the page styles and tests key on it. */
  kind: 'already_printed' | 'printing_elsewhere' | 'expired' | 'unknown' | 'printer' | 'not_paid' | 'offline' | 'error';
  title: string;
  text: string;
}

const UNKNOWN_CODES = new Set([
  'token_malformed',
  'token_bad_signature',
  'token_unknown_key',
  'token_unsupported_version',
  'invalid_input',
  'order_not_found',
]);

/** The printer cannot reach the cloud (and, for some, its neighbours): redeeming waits for the connection. */
const OFFLINE_CODES = new Set([
  'coordinator_unreachable',
  'offline_unavailable',
  'offline_isolated',
  'offline_isolated_limit',
]);

/** Turns a refusal (AppError code and details from the node or the coordinator) into words for a fan. */
export function refusalMessage(code: string, details: Readonly<Record<string, unknown>> | undefined): KioskMessage {
  const where = typeof details?.printerName === 'string' && details.printerName ? details.printerName : null;
  if (code === 'order_already_printed') {
    return {
      kind: 'already_printed',
      title: 'Already printed',
      text: where
        ? `This order was already printed at ${where}. Each code prints once.`
        : 'This order was already printed. Each code prints once.',
    };
  }
  if (code === 'order_claimed_elsewhere') {
    return {
      kind: 'printing_elsewhere',
      title: 'Printing at another printer',
      text: where
        ? `This order is being printed at ${where} right now. Collect your photos there.`
        : 'This order is being printed at another printer right now.',
    };
  }
  if (code === 'token_expired') {
    return {
      kind: 'expired',
      title: 'This code has expired',
      text: 'Its printing period is over. Please ask at the photo desk.',
    };
  }
  if (UNKNOWN_CODES.has(code)) {
    return {
      kind: 'unknown',
      title: 'We do not recognise this code',
      text: 'Scan the QR code on your order page again, or type the code printed under it.',
    };
  }
  if (code === 'order_other_venue') {
    return { kind: 'unknown', title: 'Wrong venue', text: 'This order is for another venue and cannot print here.' };
  }
  if (code === 'order_not_paid') {
    return {
      kind: 'not_paid',
      title: 'Not paid yet',
      text: 'Finish the payment on your phone, then scan your code again.',
    };
  }
  if (code.startsWith('printer_')) return printerMessage(code.slice('printer_'.length) as PrinterState);
  if (code === 'typed_code_needs_network' || code === 'typed_code_unsupported') {
    return {
      kind: 'offline',
      title: 'Scan the QR code',
      text: 'Typed codes need the network right now. Hold the QR code on your order page up to the camera.',
    };
  }
  if (code === 'too_many_code_attempts') {
    const seconds = typeof details?.retryAfterSeconds === 'number' ? details.retryAfterSeconds : null;
    return {
      kind: 'unknown',
      title: 'Too many wrong codes',
      text: `This printer is pausing typed codes${seconds ? ` for ${seconds} seconds` : ' for a moment'}. Scan the QR code on your order page instead.`,
    };
  }
  if (code === 'order_not_known_offline') {
    return {
      kind: 'offline',
      title: 'Your order is not known here yet',
      text: 'This printer is offline and cannot see orders paid moments ago. Try again in a minute, or at another printer.',
    };
  }
  if (OFFLINE_CODES.has(code)) {
    return {
      kind: 'offline',
      title: 'Cannot check your code right now',
      text: 'This printer has lost its connection. Try again in a minute, or use another printer.',
    };
  }
  return { kind: 'error', title: 'Something went wrong', text: 'Please try again, or ask a member of staff.' };
}

/** The printer cannot take a job in this state: the kiosk says so before it claims an order. */
export function printerMessage(state: PrinterState): KioskMessage {
  switch (state) {
    case 'paper_out':
      return {
        kind: 'printer',
        title: 'This printer is out of paper',
        text: 'Please ask a member of staff to reload it, or use another printer.',
      };
    case 'cover_open':
      return {
        kind: 'printer',
        title: 'The printer cover is open',
        text: 'Please ask a member of staff to close it, or use another printer.',
      };
    default:
      return {
        kind: 'printer',
        title: 'This printer is not working right now',
        text: 'Please use another printer or ask a member of staff.',
      };
  }
}

/** States in which a new order is not taken (a job already printing carries on when they clear). */
export function printerBlocksNewOrders(state: PrinterState): boolean {
  return state === 'paper_out' || state === 'cover_open' || state === 'offline' || state === 'error';
}

const PRINTER_STATE_CODES = {
  ready: 'printer_printing',
  printing: 'printer_printing',
  paper_out: 'printer_paper_out',
  cover_open: 'printer_cover_open',
  offline: 'printer_offline',
  error: 'printer_error',
} as const satisfies Record<PrinterState, ErrorCode>;

/** The registry code a refusal carries when the printer itself cannot take an order. */
export function printerStateCode(state: PrinterState): ErrorCode {
  return PRINTER_STATE_CODES[state];
}
