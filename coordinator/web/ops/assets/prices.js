import { api, clearErrors, parseMoney, showError } from './common.js';

const form = document.getElementById('price-list');
const rows = document.getElementById('bundle-rows');

document.getElementById('add-bundle').addEventListener('click', () => {
  const i = rows.children.length;
  const tr = rows.lastElementChild.cloneNode(true);
  for (const input of tr.querySelectorAll('input')) {
    const kind = input.name === 'copies' ? 'copies' : 'price';
    input.id = `b-${kind}-${i}`;
    input.value = '';
    input.removeAttribute('aria-invalid');
  }
  for (const label of tr.querySelectorAll('label')) {
    const kind = label.htmlFor.startsWith('b-copies') ? 'copies' : 'price';
    label.htmlFor = `b-${kind}-${i}`;
    label.textContent = kind === 'copies' ? `Prints in bundle ${i + 1}` : `Price of bundle ${i + 1}`;
  }
  rows.append(tr);
  tr.querySelector('input').focus();
});

form.addEventListener('submit', async (e) => {
  e.preventDefault();
  clearErrors(form);
  const fields = { currency: form.elements.currency, unitPriceCents: form.elements.unitPrice };
  const local = [];
  const unitPriceCents = parseMoney(form.elements.unitPrice.value);
  if (Number.isNaN(unitPriceCents)) local.push({ field: 'unitPriceCents', message: 'an amount such as 5.00' });
  const bundles = [];
  for (const tr of rows.children) {
    const copiesInput = tr.querySelector('input[name=copies]');
    const priceInput = tr.querySelector('input[name=price]');
    if (!copiesInput.value.trim() && !priceInput.value.trim()) continue;
    const i = bundles.length;
    fields[`bundles.${i}.copies`] = copiesInput;
    fields[`bundles.${i}.priceCents`] = priceInput;
    const copies = Number(copiesInput.value);
    const priceCents = parseMoney(priceInput.value);
    if (Number.isNaN(priceCents)) local.push({ field: `bundles.${i}.priceCents`, message: 'an amount such as 12.00' });
    bundles.push({ copies, priceCents });
  }
  if (local.length) {
    showError(form, { issues: local }, fields);
    return;
  }
  try {
    await api('PUT', `/api/events/${encodeURIComponent(form.dataset.event)}/price-list`, {
      currency: form.elements.currency.value.trim().toUpperCase(),
      unitPriceCents,
      bundles,
    });
    location.assign(`${location.pathname}?saved`);
  } catch (err) {
    showError(form, err, fields);
  }
});
