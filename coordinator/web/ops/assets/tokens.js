import { api, clearErrors, showError, showMessage } from './common.js';

const form = document.getElementById('new-token');
const result = document.getElementById('new-token-result');
const value = document.getElementById('new-token-value');

form.addEventListener('submit', async (e) => {
  e.preventDefault();
  clearErrors(form);
  const f = form.elements;
  try {
    const created = await api('POST', '/api/credentials', { role: f.role.value, name: f.name.value });
    document.getElementById('new-token-for').textContent = `${created.name} (${created.role})`;
    value.value = created.token;
    result.hidden = false;
    value.focus();
    value.select();
    f.name.value = '';
  } catch (err) {
    showError(form, err, { name: f.name, role: f.role });
  }
});

document.getElementById('copy-token').addEventListener('click', async () => {
  const status = document.getElementById('copy-status');
  try {
    await navigator.clipboard.writeText(value.value);
    showMessage(status, 'Copied.');
  } catch {
    value.select();
    showMessage(status, 'Press Ctrl+C (⌘C) to copy the selected token.');
  }
});

for (const button of document.querySelectorAll('[data-revoke-credential]')) {
  button.addEventListener('click', async () => {
    if (!confirm(`Revoke the token of ${button.dataset.name}? Anyone using it is signed out at once.`)) return;
    try {
      await api('POST', `/api/credentials/${encodeURIComponent(button.dataset.revokeCredential)}/revoke`);
      location.reload();
    } catch (err) {
      showMessage(document.getElementById('tokens-message'), err.message, 'error');
    }
  });
}
