/**
 * Paying for an own-photo job at the kiosk: by phone (the provider's checkout as a QR code) or by
 * card on the station's reader (authorised now, charged only once the photos are out). Each waits
 * for the payment, polling, for at most `payWaitMs`; once paid, the job prints here.
 */

const CARD_FAILURE_TEXT = {
  declined: 'The card was declined. Try again with another card, or cancel.',
  insufficient_funds: 'Not enough funds on this card. Try again with another card, or cancel.',
  card_removed: 'The card was taken away too early. Try again and hold it until the reader beeps.',
  timeout: 'No card was presented in time. Try again when you are ready.',
  reader_offline: 'The card reader is not answering. Try again, or pay with your phone.',
  cancelled: 'The payment on the reader was cancelled. Try again, or cancel.',
};

function newKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return `own-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

/**
 * @param {object} ui `{ $, root, session, show, showMessage, call, money, stopPolling, payWaitMs, pollMs }`
 *   of the own-photo page; `session` holds `screen`, `busy`, `pollTimer` and `cardSale`
 * @param {object} hooks `{ print(jobId), reopen() }` (reopen: the fan's jobs again, as last looked up)
 */
export function initPayment(ui, hooks) {
  const { $, root, session, show, showMessage, call, money, stopPolling, payWaitMs, pollMs } = ui;
  const { print, reopen } = hooks;

  // --- pay by phone ---

  async function pay(job) {
    if (session.busy) return;
    session.busy = true;
    $('checking-title').textContent = 'Preparing the payment…';
    show('checking');
    try {
      const body = await call('POST', `/kiosk/own/jobs/${encodeURIComponent(job.id)}/pay`);
      $('pay-qr').src = body.qr;
      $('pay-qr').dataset.checkoutUrl = body.checkoutUrl;
      $('pay-amount').textContent = money(body.job.fee);
      show('pay');
      const giveUpAt = performance.now() + payWaitMs;
      const poll = async () => {
        if (session.screen !== 'pay') return;
        if (performance.now() > giveUpAt) {
          showMessage({
            title: 'No payment arrived',
            text: 'Nothing was charged here. Start again when you are ready.',
          });
          return;
        }
        try {
          const state = await call('GET', `/kiosk/own/jobs/${encodeURIComponent(job.id)}`);
          if (state.job.state === 'paid') {
            void print(job.id);
            return;
          }
          if (state.job.state === 'uploaded') {
            showMessage({ title: 'Payment cancelled', text: 'Nothing was charged. Your photos are still waiting.' });
            return;
          }
        } catch {
          // A missed poll is tried again; the payment is recorded at the coordinator either way.
        }
        session.pollTimer = setTimeout(poll, pollMs);
      };
      session.pollTimer = setTimeout(poll, pollMs);
    } catch (message) {
      showMessage(message);
    } finally {
      session.busy = false;
    }
  }

  $('pay-cancel').addEventListener('click', () => {
    stopPolling();
    // The job stays unpaid and listed; a payment made on the phone later still counts (once).
    void reopen();
  });

  // --- pay by card on the station's reader: authorised now, charged only once the photos are out ---

  async function cardCall(method, suffix) {
    return (await call(method, `/kiosk/own/card/${encodeURIComponent(session.cardSale.id)}${suffix}`)).sale;
  }

  async function payByCard(job) {
    if (session.busy) return;
    session.busy = true;
    $('checking-title').textContent = 'Preparing the payment…';
    show('checking');
    try {
      // One key per press of "Pay by card": a double tap or a retried request finds the same payment.
      const body = await call('POST', `/kiosk/own/jobs/${encodeURIComponent(job.id)}/card`, {
        idempotencyKey: newKey(),
      });
      session.cardSale = body.sale;
      $('card-amount').textContent = money(session.cardSale);
      showCard(session.cardSale);
      show('card');
      const giveUpAt = performance.now() + payWaitMs;
      const poll = async () => {
        if (session.screen !== 'card') return;
        if (performance.now() > giveUpAt) {
          await cardCall('POST', '/cancel').catch(() => {});
          showMessage({ title: 'No card was presented', text: 'Nothing was charged. Start again when you are ready.' });
          return;
        }
        try {
          const sale = await cardCall('GET', '');
          session.cardSale = sale;
          if (sale.state === 'authorised' || sale.state === 'printing') {
            void print(sale.jobId);
            return;
          }
          if (['voided', 'cancelled', 'expired'].includes(sale.state)) {
            showMessage({ title: 'Payment cancelled', text: 'Nothing was charged. Your photos are still waiting.' });
            return;
          }
          showCard(sale);
        } catch {
          // A missed poll is tried again; the sale is settled at the coordinator either way.
        }
        session.pollTimer = setTimeout(poll, pollMs);
      };
      session.pollTimer = setTimeout(poll, pollMs);
    } catch (message) {
      session.cardSale = null;
      showMessage(message);
    } finally {
      session.busy = false;
    }
  }

  function showCard(sale) {
    root.dataset.cardFailure = sale.lastFailure ?? '';
    $('card-note').textContent = sale.lastFailure
      ? CARD_FAILURE_TEXT[sale.lastFailure]
      : 'Tap, insert or swipe your card at the card reader next to this screen.';
    $('card-retry').hidden = !sale.lastFailure;
  }

  $('card-retry').addEventListener('click', async () => {
    try {
      showCard(await cardCall('POST', '/retry'));
    } catch (message) {
      showMessage(message);
    }
  });

  $('card-cancel').addEventListener('click', async () => {
    stopPolling();
    try {
      const sale = await cardCall('POST', '/cancel');
      session.cardSale = null;
      if (sale.state === 'authorised' || sale.state === 'printing') void print(sale.jobId);
      else void reopen();
    } catch (message) {
      showMessage(message);
    }
  });

  return { pay, payByCard, cardCall };
}
