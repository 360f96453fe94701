// Issue #14: add a frame (the PNG goes as it is; the server finds its windows), switch the
// fee-rate table, adjust a template's photo windows.
import { ApiError, api, clearErrors, parseMoney, showError } from './common.js';

const upload = document.getElementById('template-upload');
const eventId = upload.dataset.event;
const reloadWith = (saved) => location.assign(`${location.pathname}?saved=${saved}`);

upload.addEventListener('submit', async (e) => {
  e.preventDefault();
  clearErrors(upload);
  const fields = { name: upload.elements.name, basicFeeCents: upload.elements.fee };
  const basicFeeCents = parseMoney(upload.elements.fee.value);
  const file = upload.elements.file.files[0];
  if (Number.isNaN(basicFeeCents)) {
    return showError(upload, { issues: [{ field: 'basicFeeCents', message: 'an amount such as 2.00' }] }, fields);
  }
  if (!file) return showError(upload, new ApiError(400, 'no_file', 'Choose the frame PNG.', []), fields);
  const query = new URLSearchParams({ name: upload.elements.name.value.trim(), basicFeeCents: String(basicFeeCents) });
  try {
    const res = await fetch(`/api/events/${encodeURIComponent(eventId)}/templates?${query}`, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'image/png', accept: 'application/json' },
      body: file,
    });
    const data = await res.json().catch(() => null);
    if (!res.ok) {
      const error = data?.error ?? {};
      throw new ApiError(
        res.status,
        error.code,
        error.message ?? `Failed (${res.status}).`,
        error.details?.issues ?? [],
      );
    }
    reloadWith('frame');
  } catch (err) {
    showError(upload, err, fields);
  }
});

const table = document.getElementById('fee-table');
table.addEventListener('submit', async (e) => {
  e.preventDefault();
  clearErrors(table);
  try {
    await api('PUT', `/api/events/${encodeURIComponent(eventId)}/template-fees`, {
      activeTableId: table.elements.table.value,
    });
    reloadWith('table');
  } catch (err) {
    showError(table, err);
  }
});

for (const card of document.querySelectorAll('article.template')) {
  const form = card.querySelector('form.windows');
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    const slots = [...form.querySelectorAll('tr[data-window]')].map((tr) => {
      const value = (name) => Number(tr.querySelector(`input[name=${name}]`).value);
      return { x: value('x'), y: value('y'), width: value('width'), height: value('height'), rotation: 0 };
    });
    try {
      const current = await api('GET', `/api/events/${encodeURIComponent(eventId)}/template-fees`);
      const template = current.templates.find((s) => s.template.id === card.dataset.template).template;
      await api('PUT', `/api/templates/${encodeURIComponent(card.dataset.template)}/layout`, {
        ...template.layout,
        slots,
      });
      reloadWith('windows');
    } catch (err) {
      showError(form, err);
    }
  });
}

const tablesForm = document.getElementById('fee-tables');
tablesForm.addEventListener('submit', async (e) => {
  e.preventDefault();
  clearErrors(tablesForm);
  let parsed;
  try {
    parsed = JSON.parse(tablesForm.elements.tables.value);
  } catch {
    return showError(tablesForm, new ApiError(400, 'invalid_input', 'This is not valid JSON.', []));
  }
  try {
    await api('PUT', `/api/events/${encodeURIComponent(eventId)}/template-fees`, {
      tables: parsed.tables,
      customerTable: parsed.customerTable,
    });
    reloadWith('tables');
  } catch (err) {
    showError(tablesForm, err);
  }
});

for (const form of document.querySelectorAll('form.retire')) {
  const id = form.closest('article').dataset.template;
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      await api('POST', `/api/templates/${encodeURIComponent(id)}/retire`, {});
      reloadWith('retired');
    } catch (err) {
      showError(form, err);
    }
  });
}
