/**
 * The Pay screen of "Find your photos": the basket's total as the edge node priced it, then a sale
 * paid by card on the station's reader or by the fan's phone (a QR code), asked after until it is
 * paid (the kiosk's print screen takes over), failed (try again) or ended (nothing charged).
 * kiosk-shop.js owns the basket; this module keeps the sale in `state.sale`.
 */

const FAILURE_WORDS = {
  declined: 'The card was declined. Try another card, or cancel.',
  insufficient_funds: 'The card has insufficient funds. Try another card, or cancel.',
  card_removed: 'The card was removed too early. Try again and hold it until the reader beeps.',
  timeout: 'No card was presented in time. Try again, or cancel.',
  reader_offline: 'The card reader is not answering. Pay with your phone, or ask the staff.',
  cancelled: 'The payment was cancelled.',
};
const ENDED = {
  cancelled: 'The payment was cancelled. Nothing was charged.',
  expired: 'The payment took too long and was cancelled. Nothing was charged.',
  voided: 'The payment was released. Nothing was charged.',
  refunded: 'Your payment was refunded.',
};

/**
 * @param {object} ui `{ $, root, timings, show, startProgress, showMessage, screen() }` of the kiosk page
 * @param {object} state the shop's state: `eventId`, `quote`, `payments`, `sale`, `saleStartedAt`, `key`, `pollTimer`
 * @param {object} hooks `{ api, money, touch, reset(), requote(), items(), frames }`
 */
export function initPayment(ui, state, hooks) {
  const { $, root, timings } = ui;
  const { api, money, touch, reset, requote, items, frames } = hooks;

  async function refreshPayments() {
    try {
      state.payments = await api('GET', '/kiosk/shop/payments');
    } catch {
      state.payments = { online: false, phone: false, card: null, message: null };
    }
    const p = state.payments;
    const note = p.online ? null : (p.message ?? 'Card and phone payment need the network; browsing works.');
    for (const id of ['network-note', 'pay-network']) {
      $(id).hidden = !note;
      $(id).textContent = note ?? '';
    }
    $('pay-card').hidden = !p.card;
    $('pay-card').disabled = !p.card || p.card.status === 'offline';
    $('pay-card').textContent = p.card?.status === 'offline' ? 'Card reader offline' : 'Pay by card';
    $('pay-phone').hidden = !p.phone;
  }

  function payState(s) {
    $('screen-pay').dataset.pay = s;
  }

  /** The total and, per framed photo, the frame's fee line as the coordinator priced it. */
  function paintPayTotal(notice) {
    const q = state.quote;
    $('pay-title').textContent = `Pay ${money(q.totalCents, q.quote.currency)}`;
    $('pay-lines').textContent =
      `${q.quote.printCount === 1 ? '1 print' : `${q.quote.printCount} prints`}, printed here`;
    const lines = frames.feeItems(q);
    $('pay-frames').replaceChildren(...lines);
    $('pay-frames').hidden = lines.length === 0;
    $('pay-notice').hidden = !notice;
    $('pay-notice').textContent = notice ?? '';
  }

  async function openPay() {
    if (!state.quote) return;
    touch();
    // Priced again as the fan goes to pay: a frame's fee follows how often it is used.
    await requote();
    if (!state.quote) return;
    paintPayTotal(null);
    $('pay-tax').textContent = '';
    payState('choose');
    ui.show('pay');
    await refreshPayments();
  }

  async function startSale(channel) {
    touch();
    payState('busy');
    // One key per basket and way of paying: a double tap or a retried request finds the same sale.
    state.key = state.key?.startsWith(channel) ? state.key : `${channel}-${crypto.randomUUID()}`;
    try {
      const { sale, qrSvg } = await api('POST', '/kiosk/shop/sales', {
        eventId: state.eventId,
        items: items(),
        channel,
        idempotencyKey: state.key,
        // The total shown: a frame whose fee moved meanwhile is refused, never charged differently.
        expectedTotalCents: state.quote.totalCents,
      });
      state.sale = sale;
      state.saleStartedAt = Date.now();
      if (qrSvg) $('pay-qr').src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(qrSvg)}`;
      if (sale.taxRatePercent > 0) {
        $('pay-tax').textContent = `incl. ${sale.taxRatePercent}% tax: ${money(sale.taxCents, sale.currency)}`;
      }
      paintSale(sale);
      poll();
    } catch (err) {
      await refreshPayments();
      payState('choose');
      if (err.code === 'payment_needs_network') return;
      if (err.code === 'price_changed') {
        await requote();
        if (state.quote) {
          paintPayTotal(
            `A frame's price changed a moment ago. The new total is ${money(state.quote.totalCents, state.quote.quote.currency)}: pay again to accept it.`,
          );
        }
        return;
      }
      showFailure(err.message);
    }
  }

  function showFailure(text) {
    $('pay-failure').textContent = text;
    $('pay-retry').hidden = state.sale?.channel !== 'kiosk-card';
    payState('failed');
  }

  function paintSale(sale) {
    root.dataset.sale = sale.state;
    if (sale.state === 'awaiting_payment' || sale.state === 'created') {
      if (sale.lastFailure) showFailure(FAILURE_WORDS[sale.lastFailure] ?? 'The payment did not go through.');
      else payState(sale.channel === 'kiosk-card' ? 'card' : 'phone');
      return;
    }
    if (ENDED[sale.state]) {
      const text = ENDED[sale.state];
      reset();
      ui.showMessage({ kind: 'info', icon: 'i', title: 'Payment cancelled', text });
    }
  }

  function poll() {
    clearTimeout(state.pollTimer);
    const sale = state.sale;
    if (!sale) return;
    state.pollTimer = setTimeout(async () => {
      if (state.sale !== sale || ui.screen() !== 'pay') return;
      try {
        const r = await api('GET', `/kiosk/shop/sales/${encodeURIComponent(sale.id)}`);
        if (state.sale !== sale) return;
        state.sale = r.sale;
        if (r.printFailed) {
          reset();
          ui.showMessage({
            kind: 'printer',
            icon: '!',
            title: 'This printer cannot print right now',
            text: 'Your payment was released: nothing was charged. Please use another printer or ask the staff.',
          });
          return;
        }
        if (r.progress) {
          // Paid: the basket is done with; the print screen takes over and the next person starts empty.
          reset();
          root.dataset.saleChannel = r.sale.channel;
          ui.startProgress(r.progress);
          return;
        }
        if (r.qrSvg && !$('pay-qr').getAttribute('src')) {
          $('pay-qr').src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(r.qrSvg)}`;
        }
        paintSale(r.sale);
      } catch {
        // The next poll asks again; a network gap is shown by the payments check.
      }
      if (state.sale === sale || state.sale?.id === sale.id) poll();
    }, timings.salePollMs);
  }

  async function cancelSale() {
    const sale = state.sale;
    state.sale = null;
    clearTimeout(state.pollTimer);
    if (!sale) return;
    await api('POST', `/kiosk/shop/sales/${encodeURIComponent(sale.id)}/cancel`).catch(() => {});
  }

  $('basket-pay').addEventListener('click', () => void openPay());
  $('pay-card').addEventListener('click', () => void startSale('kiosk-card'));
  $('pay-phone').addEventListener('click', () => void startSale('kiosk-phone'));
  $('pay-back').addEventListener('click', () => {
    touch();
    $('pay-notice').hidden = true;
    ui.show('gallery');
  });
  $('pay-retry').addEventListener('click', async () => {
    touch();
    const sale = state.sale;
    if (!sale) return;
    payState('busy');
    try {
      state.sale = (await api('POST', `/kiosk/shop/sales/${encodeURIComponent(sale.id)}/retry`)).sale;
      paintSale(state.sale);
      poll();
    } catch (err) {
      showFailure(err.message);
    }
  });
  $('pay-cancel').addEventListener('click', async () => {
    payState('busy');
    await cancelSale();
    reset();
    ui.show('attract');
  });

  return { refreshPayments, cancelSale };
}
