import { html, page } from '../../shared/web/html.ts';
import { codeKeypad } from './keypad.ts';

/** After the last print is out, the screen goes back to "scan your code" by itself after this long. */
export const KIOSK_DONE_RETURN_MS = 20_000;
/** A refusal (already printed, expired, unknown code, out of paper) stays up this long. */
export const KIOSK_MESSAGE_RETURN_MS = 12_000;
/** The "type your code" screen, left untouched, gives up after this long. */
export const KIOSK_IDLE_RETURN_MS = 60_000;
/** A print screen whose progress has not changed (or cannot be read) for this long gives up; printing goes on. */
export const KIOSK_STALL_RETURN_MS = 180_000;
/** "Find your photos" left untouched this long clears the basket and goes back to the start. */
export const KIOSK_SHOP_IDLE_MS = 90_000;
/** How often the payment screen asks whether the fan has paid. */
export const KIOSK_SALE_POLL_MS = 1_000;
/** How often the attract screen asks whether the printer can take an order. */
export const KIOSK_PRINTER_POLL_MS = 5_000;

export interface KioskTimings {
  doneReturnMs: number;
  messageReturnMs: number;
  idleReturnMs: number;
  stallReturnMs: number;
  printerPollMs: number;
  shopIdleMs: number;
  salePollMs: number;
}

export function kioskTimings(overrides: Partial<KioskTimings> = {}): KioskTimings {
  return {
    doneReturnMs: KIOSK_DONE_RETURN_MS,
    messageReturnMs: KIOSK_MESSAGE_RETURN_MS,
    idleReturnMs: KIOSK_IDLE_RETURN_MS,
    stallReturnMs: KIOSK_STALL_RETURN_MS,
    printerPollMs: KIOSK_PRINTER_POLL_MS,
    shopIdleMs: KIOSK_SHOP_IDLE_MS,
    salePollMs: KIOSK_SALE_POLL_MS,
    ...overrides,
  };
}

/**
 * The kiosk document: every screen is in the page and kiosk.js shows one at a time (attract, type
 * your code, checking, printing, message), so switching never waits for the network. Timings ride
 * on data attributes; there is no inline script.
 */
/** The gallery and payment screens of "Find your photos" (kiosk-shop.js drives them). */
function shopScreens() {
  return html`<section id="screen-gallery" class="screen screen-gallery" aria-labelledby="gallery-title" hidden>
  <div class="gallery-head">
    <h1 id="gallery-title">Find your photos</h1>
    <p id="gallery-event" class="lead"></p>
  </div>
  <p id="network-note" class="network-note" role="status" hidden></p>
  <div class="chip-rows">
    <div id="gallery-hours" class="chips" role="group" aria-label="When the photo was taken"></div>
    <div id="gallery-photographers" class="chips" role="group" aria-label="Photographer"></div>
  </div>
  <ul id="gallery-grid" class="gallery-grid"></ul>
  <p id="gallery-empty" class="lead" hidden>No photos on this printer yet. Try another time, or ask the staff.</p>
  <div class="gallery-foot">
    <button id="gallery-prev" class="button button-secondary" type="button">◀ Previous</button>
    <span id="gallery-page" class="page-note"></span>
    <button id="gallery-next" class="button button-secondary" type="button">Next ▶</button>
    <span class="spacer"></span>
    <button id="basket-clear" class="button button-secondary" type="button">Start over</button>
    <p id="basket-summary" class="basket-summary" aria-live="polite">Tap the photos you want</p>
    <button id="basket-pay" class="button" type="button" disabled>Pay</button>
  </div>
</section>

<section id="screen-frames" class="screen screen-frames" aria-labelledby="frames-title" hidden>
  <div class="gallery-head">
    <h1 id="frames-title">Choose a frame</h1>
    <p class="lead">Tap a frame for this photo. It prints exactly like this.</p>
  </div>
  <ul id="frames-grid" class="frames-grid"></ul>
  <div class="row row-end">
    <button id="frames-back" class="button button-secondary" type="button">Back to my photos</button>
  </div>
</section>

<section id="screen-pay" class="screen screen-pay" aria-labelledby="pay-title" data-pay="choose" hidden>
  <h1 id="pay-title">Pay</h1>
  <p id="pay-lines" class="lead"></p>
  <ul id="pay-frames" class="pay-frames" hidden></ul>
  <p id="pay-notice" class="network-note" role="alert" hidden></p>
  <p id="pay-tax" class="hint"></p>
  <p id="pay-network" class="network-note" role="status" hidden></p>
  <div class="pay-part pay-choose row row-center">
    <button id="pay-card" class="button button-big" type="button">Pay by card</button>
    <button id="pay-phone" class="button button-big" type="button">Pay with your phone</button>
  </div>
  <div class="pay-part pay-card-wait">
    <div class="spinner" aria-hidden="true"></div>
    <p class="lead">Hold your card to the reader, or insert it.</p>
  </div>
  <div class="pay-part pay-phone-wait">
    <img id="pay-qr" class="pay-qr" alt="Payment QR code: scan it with your phone">
    <p class="lead">Scan the code with your phone and pay there. Printing starts here once you have paid.</p>
  </div>
  <div class="pay-part pay-failed">
    <p id="pay-failure" class="lead pay-failure" role="alert"></p>
    <button id="pay-retry" class="button" type="button">Try again</button>
  </div>
  <div class="pay-part pay-busy">
    <div class="spinner" aria-hidden="true"></div>
    <p class="lead">One moment…</p>
  </div>
  <div class="row row-end">
    <button id="pay-back" class="button button-secondary" type="button">Back to my photos</button>
    <button id="pay-cancel" class="button button-secondary" type="button">Cancel</button>
  </div>
</section>`;
}

export function kioskPage(opts: { venue: string; printer: string; timings: KioskTimings; shop?: boolean }): string {
  const t = opts.timings;
  const shop = opts.shop === true;
  const where = [opts.venue, opts.printer].filter(Boolean).join(' · ');
  return page({
    title: `Print your photos – ${opts.printer}`,
    styles: ['/kiosk/assets/kiosk.css', ...(shop ? ['/kiosk/assets/kiosk-shop.css'] : [])],
    scripts: ['/kiosk/assets/kiosk.js', '/kiosk/assets/routing-hint.js'],
    body: html`<main id="kiosk" class="kiosk" data-screen="attract"
  data-done-return-ms="${t.doneReturnMs}" data-message-return-ms="${t.messageReturnMs}"
  data-idle-return-ms="${t.idleReturnMs}" data-stall-return-ms="${t.stallReturnMs}"
  data-printer-poll-ms="${t.printerPollMs}" data-shop-idle-ms="${t.shopIdleMs}" data-sale-poll-ms="${t.salePollMs}"
  data-shop="${shop ? 'on' : 'off'}">
<header class="topbar"><span class="brand">Photo prints</span><span class="where">${where}</span></header>
<div id="printer-banner" class="banner" role="alert" hidden></div>

<section id="screen-attract" class="screen screen-attract" aria-labelledby="attract-title">
  <h1 id="attract-title">Print your photos</h1>
  <p class="lead">Hold the QR code from your order page up to the camera.</p>
  <div class="camera">
    <video id="camera-video" muted playsinline autoplay></video>
    <div class="camera-frame" aria-hidden="true"></div>
    <p id="camera-note" class="camera-note" hidden>Camera unavailable: use the scanner or type your code.</p>
  </div>
  <p class="hint">Got a scanner at this printer? Just scan your code.</p>
  <p id="routing-hint" class="routing-hint" aria-live="polite" hidden></p>
  <div class="row row-center">
    <button id="type-code-button" class="button button-secondary" type="button">Type your code</button>
    ${
      // Disabled until the shop's script (loaded after the page) has bound it: a tap before that did nothing.
      shop ? html`<button id="find-photos-button" class="button" type="button" disabled>Find your photos</button>` : ''
    }
    <a id="own-photos-button" class="button button-secondary" href="/kiosk/own">Print your own photos</a>
  </div>
</section>
${shop ? shopScreens() : ''}

<section id="screen-type" class="screen" aria-labelledby="type-title" hidden>
  <h1 id="type-title">Type your code</h1>
  <form id="type-form" class="type-form" autocomplete="off">
    <label for="code-input">The 8 letters and digits under the QR code on your order page</label>
    <div class="code-field">
      <input id="code-input" name="code" type="text" maxlength="400" spellcheck="false" autocomplete="off"
        autocapitalize="characters" autocorrect="off" enterkeyhint="go" placeholder="7K2M9QXD"
        aria-describedby="code-hint" required>
      <span id="code-count" class="code-count" aria-live="polite"></span>
    </div>
    <p id="code-hint" class="hint">Small letters and dashes are fine; an O counts as 0, an I or L as 1.</p>
    <div id="code-keypad" class="keypad" role="group" aria-label="Code keypad">${codeKeypad()}</div>
    <div class="row">
      <button id="type-cancel" class="button button-secondary" type="button">Back</button>
      <button id="type-submit" class="button" type="submit" disabled>Print my photos</button>
    </div>
  </form>
</section>

<section id="screen-checking" class="screen screen-center" aria-live="polite" hidden>
  <div class="spinner" aria-hidden="true"></div>
  <h1>Checking your code…</h1>
</section>

<section id="screen-progress" class="screen" aria-labelledby="progress-title" hidden>
  <h1 id="progress-title">Printing your photos</h1>
  <p id="progress-lead" class="lead" aria-live="polite"></p>
  <ol id="prints" class="prints"></ol>
  <div class="row row-end">
    <p id="progress-return" class="return-note" aria-live="polite"></p>
    <button id="progress-done" class="button" type="button" hidden>Done</button>
  </div>
</section>

<section id="screen-message" class="screen screen-center" role="alert" hidden>
  <div id="message-icon" class="message-icon" aria-hidden="true"></div>
  <h1 id="message-title"></h1>
  <p id="message-text" class="lead"></p>
  <button id="message-ok" class="button" type="button">OK</button>
  <p id="message-return" class="return-note"></p>
</section>
</main>`,
  });
}
