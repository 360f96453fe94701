/**
 * Frames in "Find your photos" (issue #14): the event's one-photo frames as this printer holds them,
 * a big-button screen per photo showing that photo in each frame (composited by the printer, the
 * same code that prints it) with the fee per print, and the fee lines the Pay screen states.
 * kiosk-shop.js owns the basket; this module keeps the frame chosen per photo in `state.framed`.
 */

/**
 * @param {object} ui `{ $, show }` of the kiosk page
 * @param {object} state the shop's state: `eventId`, `currency`, `frames`, `framed`, `framing`
 * @param {object} hooks `{ api, money, touch, onLoaded(), onClosed(imageId) }`
 */
export function initFrames(ui, state, hooks) {
  const { $ } = ui;
  const { api, money, touch } = hooks;

  function frameOf(imageId) {
    const id = state.framed.get(imageId);
    return id ? (state.frames.find((f) => f.templateId === id) ?? null) : null;
  }

  function previewUrl(imageId, frame) {
    const e = encodeURIComponent;
    return `/kiosk/shop/frames/${e(state.eventId)}/${e(frame.templateId)}/${e(imageId)}/preview.jpg?v=${frame.version}`;
  }

  const feeWords = (frame) =>
    frame.feeCents === null ? 'Price shown when online' : `+ ${money(frame.feeCents, state.currency)} a print`;

  /** The event's frames (from the printer's replica; fees as the coordinator last said). */
  async function load() {
    state.frames = [];
    if (!state.eventId) return;
    try {
      state.frames = (await api('GET', `/kiosk/shop/frames?event=${encodeURIComponent(state.eventId)}`)).frames;
    } catch {
      state.frames = [];
    }
    hooks.onLoaded();
  }

  /** One big button per frame with this photo in it; "No frame" first. One tap chooses and goes back. */
  function open(imageId) {
    state.framing = imageId;
    const chosen = state.framed.get(imageId) ?? null;
    const option = (frame) => {
      const li = document.createElement('li');
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'frame-option';
      b.dataset.template = frame ? frame.templateId : '';
      b.setAttribute('aria-pressed', String((frame?.templateId ?? null) === chosen));
      const img = document.createElement('img');
      img.alt = '';
      img.src = frame
        ? previewUrl(imageId, frame)
        : `/kiosk/shop/photos/${encodeURIComponent(state.eventId)}/${encodeURIComponent(imageId)}/thumb.jpg`;
      const name = document.createElement('span');
      name.className = 'frame-name';
      name.textContent = frame ? frame.name : 'No frame';
      const fee = document.createElement('span');
      fee.className = 'frame-fee';
      fee.textContent = frame ? feeWords(frame) : 'No extra charge';
      b.append(img, name, fee);
      b.addEventListener('click', () => {
        touch();
        if (frame) state.framed.set(imageId, frame.templateId);
        else state.framed.delete(imageId);
        close();
      });
      li.append(b);
      return li;
    };
    $('frames-grid').replaceChildren(option(null), ...state.frames.map(option));
    ui.show('frames');
  }

  function close() {
    const imageId = state.framing;
    state.framing = null;
    ui.show('gallery');
    hooks.onClosed(imageId);
  }

  /** The Pay screen's lines: each frame's fee line as the coordinator priced it, or why there is none. */
  function feeItems(quote) {
    const lines = quote.templateFees.lines.map((l) => {
      const li = document.createElement('li');
      li.textContent = l.copies > 1 ? `${l.feeLine} (× ${l.copies} prints)` : l.feeLine;
      return li;
    });
    if (!quote.templateFees.known) {
      const li = document.createElement('li');
      li.textContent = 'Frame prices need the network.';
      lines.push(li);
    }
    return lines;
  }

  $('frames-back').addEventListener('click', () => {
    touch();
    close();
  });

  return { frameOf, previewUrl, load, open, feeItems };
}
