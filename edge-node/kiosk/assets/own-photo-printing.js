/**
 * The own-photo printing screen: starts the job on this printer and follows it to done or failed.
 * A job paid by card is settled after its print (the coordinator captures or voids at the next ask)
 * and its receipt lines are shown; a card-paid job this printer cannot start releases the payment.
 */

/**
 * @param {object} ui `{ $, root, session, show, showMessage, call, money, stopPolling, pollMs, idleReturnMs }`
 *   of the own-photo page; `session` holds `pollTimer`, `idleTimer` and `cardSale`
 * @param {object} hooks `{ cardCall(method, suffix) }` (the card sale being paid or printed)
 */
export function initPrinting(ui, hooks) {
  const { $, root, session, show, showMessage, call, money, stopPolling, pollMs, idleReturnMs } = ui;
  const { cardCall } = hooks;

  async function print(jobId) {
    stopPolling();
    $('printing-title').textContent = 'Printing your photos';
    $('printing-count').textContent = '';
    $('printing-note').textContent = '';
    $('printing-done').hidden = true;
    $('printing-receipt').hidden = true;
    $('printing-spinner').hidden = false;
    show('printing');
    try {
      const body = await call('POST', `/kiosk/own/jobs/${encodeURIComponent(jobId)}/print`);
      follow(jobId, body.progress);
    } catch (message) {
      if (!session.cardSale) {
        showMessage(message);
        return;
      }
      // Paid by card and this printer cannot start: the authorisation is released, nothing is charged.
      const released = await cardCall('POST', '/cancel').catch(() => null);
      session.cardSale = null;
      showMessage({
        title: message?.title ?? 'Printing could not start',
        text: released
          ? 'Your card was not charged: the payment was released. Your photos are still waiting.'
          : 'Your card will not be charged unless your photos print. Staff can help.',
      });
    }
  }

  function follow(jobId, progress) {
    root.dataset.outcome = progress.state;
    $('printing-count').textContent = `${progress.printed} of ${progress.total} printed`;
    if (progress.state === 'done') {
      $('printing-title').textContent = 'All done!';
      $('printing-note').textContent = 'Take your prints. Your photos have been deleted from our server.';
      if (session.cardSale) void settleCard('done');
      finish();
      return;
    }
    if (progress.state === 'failed') {
      $('printing-title').textContent = 'Printing stopped';
      $('printing-note').textContent = session.cardSale
        ? 'Your card was not charged: the payment was released. Your photos are still waiting: try again here or at another printer.'
        : 'You have paid: open your photos again here or at another printer to print them. Staff can help.';
      if (session.cardSale) void settleCard('failed');
      finish();
      return;
    }
    session.pollTimer = setTimeout(async () => {
      try {
        const state = await call('GET', `/kiosk/own/jobs/${encodeURIComponent(jobId)}`);
        follow(jobId, state.progress ?? progress);
      } catch {
        follow(jobId, progress);
      }
    }, pollMs);
  }

  /** After the print: the coordinator captures (or voids) at this poll; the screen shows the receipt lines. */
  async function settleCard(outcome) {
    try {
      const sale = await cardCall('GET', '');
      root.dataset.cardState = sale.state;
      if (outcome === 'done' && sale.card) {
        $('printing-receipt').textContent =
          `Paid ${money(sale)} by ${sale.card.brand.toUpperCase()} **** ${sale.card.last4}` +
          (sale.authorisationCode ? `, authorisation ${sale.authorisationCode}` : '');
        $('printing-receipt').hidden = false;
      }
    } catch {
      // The coordinator's sweeper settles the sale by itself.
    }
  }

  function finish() {
    $('printing-spinner').hidden = true;
    $('printing-done').hidden = false;
    clearTimeout(session.idleTimer);
    session.idleTimer = setTimeout(() => location.assign('/kiosk'), idleReturnMs);
  }

  $('printing-done').addEventListener('click', () => location.assign('/kiosk'));

  return { print };
}
