/**
 * The kiosk screen's words and input rules, free of the DOM so the node's tests import the very
 * file the browser runs (kiosk.js draws with them). Types: kiosk-words.d.ts.
 */

/** The short order code under the QR code (shared/token/order-code.ts). */
export const ORDER_CODE_CHARS = 8;
/** Longer than this (spaces and dashes aside) is a scanned or pasted token, not a typed code (order-code.ts). */
const MAX_TYPED_CODE_CHARS = 2 * ORDER_CODE_CHARS;
/** Crockford Base32 without I, L, O, U; the same test as orderCodeToBytes. */
const ORDER_CODE_PATTERN = /^[0-9A-HJKMNP-TV-Z]{8}$/;
const CROCKFORD_ALIASES = { O: '0', I: '1', L: '1' };

/** The code as normalizeOrderCode (shared/token/order-code.ts) reads it, or null when it cannot be one. */
export function normalizeTypedCode(input) {
  if (input.length > MAX_TYPED_CODE_CHARS) return null;
  const code = input
    .toUpperCase()
    .replace(/[\s-]/g, '')
    .replace(/[OIL]/g, (c) => CROCKFORD_ALIASES[c]);
  return ORDER_CODE_PATTERN.test(code) ? code : null;
}

/**
 * Whether "Print my photos" may be pressed: a whole 8-character code, or a long scanned or pasted
 * token (its signature is checked by the node). A half-typed code never goes out as a wrong guess.
 */
export function canSubmitCode(input) {
  const chars = input.replace(/[\s-]/g, '').length;
  if (chars > MAX_TYPED_CODE_CHARS) return true;
  return normalizeTypedCode(input) !== null;
}

/** "5 of 8" under a short code being typed; nothing for a long scanned or pasted code. */
export function typedCount(input) {
  const chars = input.replace(/[\s-]/g, '').length;
  return chars > 0 && chars <= ORDER_CODE_CHARS ? `${chars} of ${ORDER_CODE_CHARS}` : '';
}

const STATE_LABELS = {
  queued: 'Getting your photo',
  local: 'Photo ready on this printer',
  printing: 'Printing…',
  printed: 'Done',
  failed: 'Could not print',
};
const SOURCE_NOTES = {
  local: 'was on this printer',
  lan: 'came from a neighbour printer',
  cloud: 'came from the cloud',
};

/**
 * A print card's state line. While a photo is on its way the node first tries its neighbours and
 * reports "lan" before a single byte has come from one; only the cloud is a decision. So the card
 * stays neutral until the cloud is chosen, and says where the photo came from once it is printed.
 */
export function unitStateLabel(unit) {
  if (unit.state === 'fetching_cloud') return 'Fetching from the cloud';
  if (unit.state === 'fetching_lan') return 'Getting your photo';
  return STATE_LABELS[unit.state] ?? unit.state;
}

/** The line under a card's state: where to take it, why it failed, or where the photo came from. */
export function unitNote(unit) {
  const tray = unit.tray ? `Take it from the ${unit.tray}.` : '';
  if (unit.state === 'failed') return unit.detail ?? '';
  if (unit.state === 'printed') return tray || (SOURCE_NOTES[unit.source] ?? '');
  return tray;
}

/** The neutral tile a card shows until its thumbnail can be read: the print's number. */
export function thumbPlaceholder(unit) {
  return { number: String(unit.unit + 1), label: `Photo ${unit.unit + 1} is on its way` };
}

const photos = (n) => (n === 1 ? 'photo' : 'photos');

/** The print screen's headline and the sentence under it, while printing and once done. */
export function progressHeadline(progress) {
  const total = progress.units.length;
  const printed = progress.units.filter((u) => u.state === 'printed').length;
  const failed = progress.units.filter((u) => u.state === 'failed').length;
  const yours = total === 1 ? 'your photo' : 'your photos';
  if (!progress.done) {
    return { outcome: null, title: `Printing ${yours}`, lead: `${printed} of ${total} printed` };
  }
  if (failed > 0 || progress.error) {
    const title = total === 1 ? 'Your photo could not be printed' : 'Some photos could not be printed';
    const retry = failed === 1 ? 'it' : 'them';
    const lead =
      progress.error?.message ??
      (total === 1
        ? 'Scan your code again to retry it.'
        : `${failed} of ${total} ${photos(total)} could not be printed. Scan your code again to retry ${retry}.`);
    return { outcome: 'incomplete', title, lead };
  }
  const take = total === 1 ? 'Take it' : 'Take them';
  return {
    outcome: 'done',
    title: 'All done!',
    lead: `${total} ${photos(total)} printed. ${take} from the tray below.`,
  };
}

/**
 * What a kiosk sale's print screen says when not every photo came out: there is no code to scan
 * again; the payment is released (card) or refunded (phone) by the coordinator.
 */
export function saleIncompleteLead(channel) {
  return channel === 'kiosk-card'
    ? 'Your card payment was released: nothing was charged. Please ask the staff or try another printer.'
    : 'Your payment will be refunded. Please ask the staff or try another printer.';
}

/** The banner over the print screen while the printer needs a hand. */
export function printerBanner(title, total) {
  return `${title}. ${total === 1 ? 'Your photo prints' : 'Your photos print'} as soon as it is fixed.`;
}
