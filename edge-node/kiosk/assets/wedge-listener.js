/**
 * Keyboard-wedge scanners (USB or Bluetooth barcode readers) "type" a code as a fast burst of key
 * presses ending in Enter. This listens on the whole document, so no input needs focus (and no
 * on-screen keyboard pops up on the touch screen). Only a line of at least WEDGE_MIN_CHARS
 * characters ending in Enter counts, so stray key presses do not submit anything.
 */

/**
 * A pause this long between keys starts a new code (what came before was a stray key press, not a
 * scan). Scanners send their keys a few milliseconds apart; the margin covers a busy kiosk PC,
 * whose keyboard events can arrive late and bunched.
 */
export const WEDGE_MAX_KEY_GAP_MS = 500;
/** Shorter bursts are someone pressing keys, not a code (an order code has 8 characters, a token over 100). */
export const WEDGE_MIN_CHARS = 8;
const MAX_CODE_CHARS = 400;

/**
 * Calls `onCode(text)` for each burst that ends in Enter. `accepting()` says whether the current
 * screen takes a scan; while an editable field has focus the field gets the keys instead.
 * Returns a function that stops listening.
 */
export function listenForWedge(onCode, accepting) {
  let buffer = '';
  let lastAt = 0;
  const onKeyDown = (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target;
    if (target instanceof HTMLElement && (target.isContentEditable || target.matches('input, textarea, select'))) {
      return;
    }
    if (!accepting()) {
      buffer = '';
      return;
    }
    const now = performance.now();
    if (now - lastAt > WEDGE_MAX_KEY_GAP_MS) buffer = '';
    lastAt = now;
    if (event.key === 'Enter') {
      // Enter would otherwise press whichever button has focus.
      event.preventDefault();
      const code = buffer;
      buffer = '';
      if (code.trim().length >= WEDGE_MIN_CHARS) onCode(code);
      return;
    }
    if (event.key.length === 1) {
      event.preventDefault();
      if (buffer.length < MAX_CODE_CHARS) buffer += event.key;
    }
  };
  document.addEventListener('keydown', onKeyDown, true);
  return () => document.removeEventListener('keydown', onKeyDown, true);
}
