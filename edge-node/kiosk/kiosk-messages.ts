import type { ErrorCode } from '../../shared/errors.ts';
import type { PrinterState } from '../printing/port.ts';

/** What the kiosk screen says when it cannot print a code: a headline, one sentence of what to do. */
export interface KioskMessage {
  /** Stable: the page styles and tests key on it. */
  kind: 'already_printed' | 'printing_elsewhere' | 'expired' | 'unknown' | 'printer' | 'not_paid' | 'offline' | 'error';
  title: string;
  text: string;
  /** The glyph in the message's circle: never a tick, since every message is something that did not happen. */
  icon: string;
}

type Details = Readonly<Record<string, unknown>> | undefined;
type Words = (details: Details) => Omit<KioskMessage, 'icon'>;

/** "Already printed" once wore a tick and read as success; a refusal says stop, or where to go instead. */
const ICONS: Readonly<Record<KioskMessage['kind'], string>> = {
  already_printed: '!',
  printing_elsewhere: '→',
  expired: '!',
  unknown: '?',
  printer: '!',
  not_paid: '!',
  offline: '!',
  error: '!',
};

function withIcon(m: Omit<KioskMessage, 'icon'>): KioskMessage {
  return { ...m, icon: ICONS[m.kind] };
}

/**
 * The coordinator answers another venue's typed code like an unknown one (codes cannot be tried
 * across venues), so these words cover both: a mistyped code, or one that prints only elsewhere.
 */
const unknownCode: Words = () => ({
  kind: 'unknown',
  title: 'We do not recognise this code here',
  text: 'Check the code under the QR code on your order page and try again. If your order is for another venue, it prints only there.',
});

/** The printer cannot reach the cloud (and, for some, its neighbours): redeeming waits for the connection. */
const offline: Words = () => ({
  kind: 'offline',
  title: 'Cannot check your code right now',
  text: 'This printer has lost its connection. Try again in a minute, or use another printer.',
});

const scanInstead: Words = () => ({
  kind: 'offline',
  title: 'Scan the QR code',
  text: 'Typed codes need the network right now. Hold the QR code on your order page up to the camera.',
});

/** This printer is not (or no longer) allowed to redeem: staff must pair it again or set its clock. */
const notSetUp: Words = () => ({
  kind: 'printer',
  title: 'This printer is not working right now',
  text: 'Please use another printer or ask a member of staff.',
});

function printerName(details: Details): string | null {
  return typeof details?.printerName === 'string' && details.printerName ? details.printerName : null;
}

/**
 * The kiosk's words for each refusal, keyed on registry codes (shared/errors.ts): a code that is
 * not in the registry does not compile. A code left out gets "Something went wrong".
 */
const MESSAGES: Partial<Record<ErrorCode, Words>> = {
  order_already_printed: (details) => {
    const where = printerName(details);
    return {
      kind: 'already_printed',
      title: 'Already printed',
      text: where
        ? `This order was already printed at ${where}. Each code prints once.`
        : 'This order was already printed. Each code prints once.',
    };
  },
  order_claimed_elsewhere: (details) => {
    const where = printerName(details);
    return {
      kind: 'printing_elsewhere',
      title: 'Printing at another printer',
      text: where
        ? `This order is being printed at ${where} right now. Collect your photos there.`
        : 'This order is being printed at another printer right now.',
    };
  },
  token_expired: () => ({
    kind: 'expired',
    title: 'This code has expired',
    text: 'Its printing period is over. Please ask at the photo desk.',
  }),
  token_malformed: unknownCode,
  token_bad_signature: unknownCode,
  token_unknown_key: unknownCode,
  token_unsupported_version: unknownCode,
  invalid_input: unknownCode,
  order_not_found: unknownCode,
  // The full (signed) code can say so outright; worded to agree with unknownCode's "prints only there".
  order_other_venue: () => ({
    kind: 'unknown',
    title: 'This code is for another venue',
    text: 'Your order prints only at the venue it was bought for. Please print it there.',
  }),
  order_not_paid: () => ({
    kind: 'not_paid',
    title: 'Not paid yet',
    text: 'Finish the payment on your phone, then scan your code again.',
  }),
  printer_paper_out: (details) => printerWords('paper_out', nearestPrinter(details)),
  printer_cover_open: (details) => printerWords('cover_open', nearestPrinter(details)),
  printer_offline: (details) => printerWords('offline', nearestPrinter(details)),
  printer_error: (details) => printerWords('error', nearestPrinter(details)),
  printer_printing: () => printerWords('printing'),
  printer_not_paired: notSetUp,
  printer_revoked: notSetUp,
  printer_auth_missing: notSetUp,
  printer_auth_malformed: notSetUp,
  printer_auth_stale: notSetUp,
  printer_auth_bad_signature: notSetUp,
  typed_code_needs_network: scanInstead,
  typed_code_unsupported: scanInstead,
  too_many_code_attempts: (details) => {
    const seconds = typeof details?.retryAfterSeconds === 'number' ? details.retryAfterSeconds : null;
    return {
      kind: 'unknown',
      title: 'Too many wrong codes',
      text: `This printer is pausing typed codes${seconds ? ` for ${seconds} seconds` : ' for a moment'}. Scan the QR code on your order page instead.`,
    };
  },
  order_not_known_offline: () => ({
    kind: 'offline',
    title: 'Your order is not known here yet',
    text: 'This printer is offline and cannot see orders paid moments ago. Try again in a minute, or at another printer.',
  }),
  coordinator_unreachable: offline,
  offline_unavailable: offline,
  offline_isolated: offline,
  offline_isolated_limit: offline,
};

/** Turns a refusal (AppError code and details from the node or the coordinator) into words for a fan. */
export function refusalMessage(code: ErrorCode, details: Details): KioskMessage {
  return withIcon(
    MESSAGES[code]?.(details) ?? {
      kind: 'error',
      title: 'Something went wrong',
      text: 'Please try again, or ask a member of staff.',
    },
  );
}

/**
 * The printer cannot take a job in this state: the kiosk says so before it claims an order, and
 * names the nearest working printer when it knows one (edge-node/routing/kiosk-routing.ts).
 */
export function printerMessage(state: PrinterState, nearest?: string | null): KioskMessage {
  return withIcon(printerWords(state, nearest ?? null));
}

/** The nearest working printer a refusal names (details.nearestPrinter), if any. */
function nearestPrinter(details: Details): string | null {
  return typeof details?.nearestPrinter === 'string' && details.nearestPrinter ? details.nearestPrinter : null;
}

function printerWords(state: PrinterState, nearest: string | null = null): Omit<KioskMessage, 'icon'> {
  const words = stateWords(state);
  if (!nearest) return words;
  // Issue #12: name the nearest working printer instead of only "use another printer".
  return {
    ...words,
    text: `Please go to ${nearest}: it is working. Or ${STAFF_HELP[state] ?? 'ask a member of staff'}.`,
  };
}

const STAFF_HELP: Partial<Record<PrinterState, string>> = {
  paper_out: 'ask a member of staff to reload this one',
  cover_open: 'ask a member of staff to close this one',
};

function stateWords(state: PrinterState): Omit<KioskMessage, 'icon'> {
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
