/**
 * The gallery of "Find your photos": the photos this printer holds, a page at a time, filtered by
 * the hour they were taken and by photographer, each tile with its copies bar (and its frame button,
 * issue #14). kiosk-shop.js owns the basket; a tap here asks it to change a photo's copies.
 */

const hourLabel = (start) => `${String(new Date(start).getHours()).padStart(2, '0')}:00`;

/**
 * @param {object} ui `{ $ }` of the kiosk page
 * @param {object} state the shop's state: `eventId`, `currency`, `page`, `hour`, `photographer`, `basket`, `frames`
 * @param {object} hooks `{ api, touch, frames, setCopies(imageId, copies) }`
 */
export function initGallery(ui, state, hooks) {
  const { $ } = ui;
  const { api, touch, frames, setCopies } = hooks;

  async function load() {
    const q = new URLSearchParams({ page: String(state.page) });
    if (state.eventId) q.set('event', state.eventId);
    if (state.hour !== null) {
      q.set('from', String(state.hour));
      q.set('to', String(state.hour + 3_600_000));
    }
    if (state.photographer !== null) q.set('photographer', state.photographer);
    const g = await api('GET', `/kiosk/shop/gallery?${q}`);
    state.eventId = g.eventId;
    state.currency = g.priceList?.currency ?? '';
    state.page = g.page;
    $('gallery-event').textContent = g.events.find((e) => e.id === g.eventId)?.name ?? '';
    paintHours(g.hours);
    paintPhotographers(g.photographers);
    const grid = $('gallery-grid');
    grid.replaceChildren(...g.photos.map(tile));
    $('gallery-empty').hidden = g.photos.length > 0;
    $('gallery-page').textContent = g.pages > 1 ? `Page ${g.page + 1} of ${g.pages}` : '';
    $('gallery-prev').disabled = g.page <= 0;
    $('gallery-next').disabled = g.page + 1 >= g.pages;
  }

  /** A filter button: pressed when `key` holds `value`; a press sets it and goes back to page 1. */
  function chip(label, key, value) {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'chip';
    b.textContent = label;
    b.setAttribute('aria-pressed', String(state[key] === value));
    b.addEventListener('click', () => {
      state[key] = value;
      state.page = 0;
      touch();
      void load();
    });
    return b;
  }

  function paintHours(hours) {
    $('gallery-hours').replaceChildren(
      chip('All times', 'hour', null),
      ...hours.map((h) => chip(`${hourLabel(h)}–${hourLabel(h + 3_600_000)}`, 'hour', h)),
    );
  }

  /** Shown once the printer knows who took the photos (it keeps the names while offline). */
  function paintPhotographers(names) {
    const chosen = state.photographer;
    const all = chosen !== null && !names.includes(chosen) ? [...names, chosen] : names;
    $('gallery-photographers').replaceChildren(
      ...(all.length > 0 ? [chip('All photographers', 'photographer', null)] : []),
      ...all.map((n) => chip(n, 'photographer', n)),
    );
  }

  function tile(photo) {
    const li = document.createElement('li');
    li.className = 'tile';
    li.dataset.image = photo.imageId;
    const pick = document.createElement('button');
    pick.type = 'button';
    pick.className = 'tile-pick';
    pick.setAttribute('aria-label', `Photo taken ${new Date(photo.at).toLocaleTimeString()}`);
    const img = document.createElement('img');
    img.src = photo.thumbUrl;
    img.alt = '';
    img.loading = 'lazy';
    img.dataset.plain = photo.thumbUrl;
    pick.append(img);
    pick.addEventListener('click', () => {
      touch();
      setCopies(photo.imageId, state.basket.has(photo.imageId) ? 0 : 1);
    });
    li.append(pick);
    paintTile(li);
    return li;
  }

  function paintTile(li) {
    const copies = state.basket.get(li.dataset.image) ?? 0;
    li.querySelector('.tile-copies')?.remove();
    const img = li.querySelector('.tile-pick img');
    const frame = frames.frameOf(li.dataset.image);
    const src = frame ? frames.previewUrl(li.dataset.image, frame) : img.dataset.plain;
    if (img.getAttribute('src') !== src) img.src = src;
    if (frame) li.dataset.frame = frame.templateId;
    else delete li.dataset.frame;
    if (copies === 0) {
      delete li.dataset.copies;
      return;
    }
    li.dataset.copies = String(copies);
    const bar = document.createElement('div');
    bar.className = 'tile-copies';
    const less = document.createElement('button');
    less.type = 'button';
    less.textContent = '−';
    less.setAttribute('aria-label', 'One copy less');
    less.addEventListener('click', () => {
      touch();
      setCopies(li.dataset.image, copies - 1);
    });
    const count = document.createElement('span');
    count.textContent = copies === 1 ? '1 print' : `${copies} prints`;
    // With a Frame button beside them the copies are a number: the tile is narrow.
    if (state.frames.length > 0) count.textContent = `×${copies}`;
    const more = document.createElement('button');
    more.type = 'button';
    more.textContent = '+';
    more.setAttribute('aria-label', 'One copy more');
    more.addEventListener('click', () => {
      touch();
      setCopies(li.dataset.image, copies + 1);
    });
    bar.append(less, count, more);
    // Issue #14: the frame is chosen per photo, from its bar, so the tile's picture stays visible.
    if (state.frames.length > 0) {
      const choose = document.createElement('button');
      choose.type = 'button';
      choose.className = 'tile-frame';
      choose.textContent = frame ? 'Framed' : 'Frame';
      choose.setAttribute('aria-label', frame ? `Frame: ${frame.name}. Change the frame` : 'Add a frame');
      choose.addEventListener('click', () => {
        touch();
        frames.open(li.dataset.image);
      });
      bar.append(choose);
    }
    li.append(bar);
  }

  /** The tile of this photo, when it is on the page shown. */
  function repaintTile(imageId) {
    const li = $('gallery-grid').querySelector(`[data-image="${CSS.escape(imageId)}"]`);
    if (li) paintTile(li);
  }

  function repaintTiles() {
    for (const li of $('gallery-grid').querySelectorAll('.tile')) paintTile(li);
  }

  $('gallery-prev').addEventListener('click', () => {
    touch();
    state.page = Math.max(0, state.page - 1);
    void load();
  });
  $('gallery-next').addEventListener('click', () => {
    touch();
    state.page += 1;
    void load();
  });

  return { load, repaintTile, repaintTiles };
}
