import { api, showMessage } from './common.js';

// Acknowledging a conflict records who dealt with it; the page reloads to show it (and the dashboard
// drops its alert on the next poll).

for (const button of document.querySelectorAll('[data-acknowledge-conflict]')) {
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      await api('POST', `/api/conflicts/${encodeURIComponent(button.dataset.acknowledgeConflict)}/acknowledge`);
      location.reload();
    } catch (err) {
      button.disabled = false;
      showMessage(
        document.getElementById('conflicts-message'),
        `Order ${button.dataset.order}: ${err.message}`,
        'error',
      );
    }
  });
}
