import { CROCKFORD_ALPHABET } from '../../shared/token/order-code.ts';
import { html } from '../../shared/web/html.ts';

/**
 * One key per character a code can hold (no I, L, O, U: Crockford Base32), and a delete key: the
 * order-code screen and the own-photo screen type the same alphabet, so they share one keypad.
 */
export function codeKeypad() {
  const keys = [...CROCKFORD_ALPHABET].map(
    (c) => html`<button class="key" type="button" data-key="${c}">${c}</button>`,
  );
  // Digits on the first row with delete at its end; the 22 letters fill the two rows below.
  keys.splice(
    10,
    0,
    html`<button class="key key-delete" type="button" data-key="Backspace" aria-label="Delete the last character">⌫</button>`,
  );
  return keys;
}
