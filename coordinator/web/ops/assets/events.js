import { api, clearErrors, parseMoney, showError } from './common.js';

const venueForm = document.getElementById('new-venue');
const eventForm = document.getElementById('new-event');

venueForm?.addEventListener('submit', async (e) => {
  e.preventDefault();
  clearErrors(venueForm);
  try {
    await api('POST', '/api/venues', { name: venueForm.elements.name.value });
    location.reload();
  } catch (err) {
    showError(venueForm, err, { name: venueForm.elements.name });
  }
});

eventForm?.addEventListener('submit', async (e) => {
  e.preventDefault();
  clearErrors(eventForm);
  const f = eventForm.elements;
  const fields = {
    venueId: f.venueId,
    name: f.name,
    startsAt: f.startsAt,
    endsAt: f.endsAt,
    'priceList.currency': f.currency,
    'priceList.unitPriceCents': f.unitPrice,
  };
  const startsAt = new Date(f.startsAt.value).getTime();
  const endsAt = new Date(f.endsAt.value).getTime();
  const unitPriceCents = parseMoney(f.unitPrice.value);
  const local = [];
  if (!f.name.value.trim()) local.push({ field: 'name', message: 'required' });
  if (Number.isNaN(startsAt)) local.push({ field: 'startsAt', message: 'pick a date and time' });
  if (Number.isNaN(endsAt)) local.push({ field: 'endsAt', message: 'pick a date and time' });
  if (Number.isNaN(unitPriceCents))
    local.push({ field: 'priceList.unitPriceCents', message: 'an amount such as 5.00' });
  if (local.length) {
    showError(eventForm, { issues: local }, fields);
    return;
  }
  try {
    const { event } = await api('POST', '/api/events', {
      venueId: f.venueId.value,
      name: f.name.value,
      startsAt,
      endsAt,
      priceList: { currency: f.currency.value.trim().toUpperCase(), unitPriceCents, bundles: [] },
    });
    location.assign(`/ops/events/${encodeURIComponent(event.id)}`);
  } catch (err) {
    showError(eventForm, err, fields);
  }
});
