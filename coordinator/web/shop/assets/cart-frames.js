// Frames in the cart (issue #14): per print, no frame or one of the event's templates, a live
// preview of the fan's own photo in it (composited by the server, the same code the printer uses)
// and its fee before paying. Multi-window layouts (a photo strip) take more photos of the cart.
import { api, cart, formatMoney } from './common.js';

let loaded = null;

/** The event's templates, priced for this phone's (pseudonymous) customer cookie. Fetched once. */
export function eventTemplates(eventId) {
  loaded ??= api(`/api/events/${encodeURIComponent(eventId)}/templates`).catch(() => ({ templates: [] }));
  return loaded;
}

export function previewUrl(template, line) {
  const query = new URLSearchParams({
    images: [line.imageId, ...(line.template?.moreImageIds ?? [])].join(','),
    v: String(template.version),
  });
  if (line.template?.caption) query.set('caption', line.template.caption);
  return `/api/templates/${encodeURIComponent(template.id)}/preview.jpg?${query}`;
}

/** Windows 2…n get the cart's other photos first, then this one again. */
function defaultMore(template, line, cartImageIds) {
  const others = cartImageIds.filter((id) => id !== line.imageId);
  return Array.from({ length: template.photoCount - 1 }, (_, k) => others[k] ?? line.imageId);
}

function photoSelect(label, value, cartImageIds, onChange) {
  const field = Object.assign(document.createElement('label'), { className: 'field' });
  const span = Object.assign(document.createElement('span'), { textContent: label });
  const select = document.createElement('select');
  select.append(...cartImageIds.map((id, k) => new Option(`Photo ${k + 1} of your cart`, id)));
  select.value = value;
  select.addEventListener('change', () => onChange(select.value));
  field.append(span, select);
  return field;
}

/**
 * Fills the frame controls of cart line `n`. `save(list)` stores the cart (and asks for a new quote);
 * the fee itself always comes from the server's quote, never from here.
 */
export async function frameChoice(li, n, eventId, save) {
  const list = cart.get(eventId);
  const line = list[n];
  const cartImageIds = [...new Set(list.map((i) => i.imageId))];
  const update = (changed) =>
    save(
      cart.get(eventId).map((i, k) => (k === n ? changed : i)),
      { redraw: false },
    );
  const { templates, currency } = await eventTemplates(eventId);
  const box = li.querySelector('.frame');
  if (!box || templates.length === 0) return;
  box.hidden = false;
  const select = box.querySelector('select');
  select.replaceChildren(
    new Option('No frame', ''),
    ...templates.map((t) => new Option(`${t.name} (+${formatMoney(t.fee.feeCents, currency)})`, t.id)),
  );
  const current = () => templates.find((t) => t.id === line.template?.templateId);
  if (line.template && !current()) {
    delete line.template;
    update(line);
  }
  select.value = line.template?.templateId ?? '';
  const preview = li.querySelector('.frame-preview');
  const extra = li.querySelector('.frame-extra');
  const draw = () => {
    const t = current();
    extra.replaceChildren();
    preview.hidden = !t;
    if (!t) return preview.removeAttribute('src');
    preview.src = previewUrl(t, line);
    preview.alt = `Preview: your photo in ${t.name}`;
    line.template.moreImageIds.forEach((id, k) => {
      extra.append(
        photoSelect(`Window ${k + 2}`, id, cartImageIds, (value) => {
          line.template.moreImageIds[k] = value;
          draw();
          update(line);
        }),
      );
    });
    if (t.hasCaption) {
      const field = Object.assign(document.createElement('label'), { className: 'field' });
      const input = Object.assign(document.createElement('input'), {
        type: 'text',
        maxLength: 80,
        value: line.template.caption ?? '',
        placeholder: 'Your caption',
      });
      input.addEventListener('change', () => {
        line.template.caption = input.value.trim() || null;
        preview.src = previewUrl(t, line);
        update(line);
      });
      field.append(Object.assign(document.createElement('span'), { textContent: 'Caption' }), input);
      extra.append(field);
    }
  };
  select.addEventListener('change', () => {
    const t = templates.find((x) => x.id === select.value);
    if (t) line.template = { templateId: t.id, moreImageIds: defaultMore(t, line, cartImageIds), caption: null };
    else delete line.template;
    draw();
    update(line);
  });
  draw();
}

/** The quote's fee line under a cart line ("Gold frame: €2.00 × 0.9 (known) × 1 (new customer) = €1.80"). */
export function showFee(li, line, templateFees, money) {
  const text = li.querySelector('.frame-fee');
  const fee = line.template
    ? templateFees?.lines.find((f) => f.imageId === line.imageId && f.templateId === line.template.templateId)
    : null;
  if (!text) return;
  text.textContent = fee
    ? `+ ${money(fee.feeCents * fee.copies)} · ${fee.feeLine}${fee.copies > 1 ? ` (×${fee.copies})` : ''}`
    : '';
}
