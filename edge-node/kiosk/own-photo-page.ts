import { CROCKFORD_ALPHABET } from '../../shared/token/order-code.ts';
import { html, page } from '../../shared/web/html.ts';

/** The own-photo screens, left untouched, go back to the kiosk's start after this long. */
export const OWN_PHOTO_IDLE_RETURN_MS = 90_000;
/** The pay screen waits this long for the phone payment before giving up (the fan can start again). */
export const OWN_PHOTO_PAY_WAIT_MS = 5 * 60_000;
/** How often the screen asks whether the payment arrived, and how the print goes. */
export const OWN_PHOTO_POLL_MS = 1_000;

function keypad() {
  const keys = [...CROCKFORD_ALPHABET].map(
    (c) => html`<button class="key" type="button" data-key="${c}">${c}</button>`,
  );
  keys.splice(
    10,
    0,
    html`<button class="key key-delete" type="button" data-key="Backspace" aria-label="Delete the last character">⌫</button>`,
  );
  return keys;
}

/**
 * "Print your own photos" on the kiosk (issue #13 item 3): scan the job QR from the phone (camera
 * or scanner) or type code and PIN on the touch keypad; the fan's jobs with thumbnails and the fee;
 * pay by card on the station's reader (when it has one) or by phone (QR of the provider's checkout);
 * the job prints here. own-photos.js drives it.
 */
export function ownPhotoKioskPage(opts: { venue: string; printer: string; idleReturnMs?: number }): string {
  const where = [opts.venue, opts.printer].filter(Boolean).join(' · ');
  return page({
    title: `Print your own photos – ${opts.printer}`,
    styles: ['/kiosk/assets/kiosk.css', '/kiosk/own/assets/own-photos.css'],
    scripts: ['/kiosk/own/assets/own-photos.js'],
    body: html`<main id="kiosk" class="kiosk own" data-screen="enter" data-idle-return-ms="${opts.idleReturnMs ?? OWN_PHOTO_IDLE_RETURN_MS}"
  data-pay-wait-ms="${OWN_PHOTO_PAY_WAIT_MS}" data-poll-ms="${OWN_PHOTO_POLL_MS}">
<header class="topbar"><span class="brand">Your own photos</span><span class="where">${where}</span></header>

<section id="screen-enter" class="screen" aria-labelledby="enter-title">
  <h1 id="enter-title">Print your own photos</h1>
  <div class="own-enter">
    <div class="camera own-camera">
      <video id="camera-video" muted playsinline autoplay></video>
      <div class="camera-frame" aria-hidden="true"></div>
      <p id="camera-note" class="camera-note" hidden>Camera unavailable: use the scanner or type your code.</p>
    </div>
    <form id="enter-form" class="type-form own-form" autocomplete="off">
      <p class="lead">Hold up the QR code from your phone, or type the code and PIN shown on it.</p>
      <div class="own-fields">
        <label class="own-field" data-field="code"><span>Code</span>
          <input id="own-code" type="text" maxlength="12" inputmode="none" spellcheck="false" placeholder="6 characters"></label>
        <label class="own-field" data-field="pin"><span>PIN</span>
          <input id="own-pin" type="password" maxlength="4" inputmode="none" placeholder="4 digits"></label>
      </div>
      <div id="own-keypad" class="keypad" role="group" aria-label="Keypad">${keypad()}</div>
      <div class="row">
        <a id="enter-back" class="button button-secondary" href="/kiosk">Back</a>
        <button id="enter-submit" class="button" type="submit" disabled>Show my photos</button>
      </div>
    </form>
  </div>
</section>

<section id="screen-checking" class="screen screen-center" aria-live="polite" hidden>
  <div class="spinner" aria-hidden="true"></div>
  <h1 id="checking-title">One moment…</h1>
</section>

<section id="screen-jobs" class="screen" aria-labelledby="jobs-title" hidden>
  <h1 id="jobs-title">Your photos</h1>
  <p class="lead">Choose a print job. Photos are deleted from our server as soon as they are printed.</p>
  <ol id="own-jobs" class="own-jobs"></ol>
  <div class="row"><button id="jobs-back" class="button button-secondary" type="button">Back</button></div>
</section>

<section id="screen-pay" class="screen screen-center" aria-labelledby="pay-title" hidden>
  <h1 id="pay-title">Pay on your phone</h1>
  <p id="pay-amount" class="own-amount"></p>
  <img id="pay-qr" class="own-qr" width="320" height="320" alt="QR code of the payment page">
  <p class="lead">Scan it with your phone's camera and pay there. Printing starts here by itself.</p>
  <button id="pay-cancel" class="button button-secondary" type="button">Cancel</button>
</section>

<section id="screen-card" class="screen screen-center" aria-labelledby="card-title" hidden>
  <h1 id="card-title">Hold your card to the reader</h1>
  <p id="card-amount" class="own-amount"></p>
  <p id="card-note" class="lead" aria-live="polite">Tap, insert or swipe your card at the card reader next to this screen.</p>
  <div class="row">
    <button id="card-cancel" class="button button-secondary" type="button">Cancel</button>
    <button id="card-retry" class="button" type="button" hidden>Try again</button>
  </div>
</section>

<section id="screen-printing" class="screen screen-center" aria-labelledby="printing-title" hidden>
  <div id="printing-spinner" class="spinner" aria-hidden="true"></div>
  <h1 id="printing-title">Printing your photos</h1>
  <p id="printing-count" class="lead" aria-live="polite"></p>
  <p id="printing-note" class="lead"></p>
  <p id="printing-receipt" class="lead own-receipt" hidden></p>
  <button id="printing-done" class="button" type="button" hidden>Done</button>
</section>

<section id="screen-message" class="screen screen-center" role="alert" hidden>
  <div id="message-icon" class="message-icon" aria-hidden="true">!</div>
  <h1 id="message-title"></h1>
  <p id="message-text" class="lead"></p>
  <button id="message-ok" class="button" type="button">OK</button>
</section>
</main>`,
  });
}
