// Order page: live status (paid → printing at printer X → printed n/m), the QR code once paid,
// and the ways out when something fails (pay again, order again).
import { $, api, cart, live, localizeTimes, myOrders, placeOrder } from './common.js';
import { rememberedStatus } from './orders-list.js';
import './routing-hint.js';

const main = $('#main');
const orderId = main.dataset.orderId;
const eventId = main.dataset.eventId;
const items = JSON.parse(main.dataset.items);
const actionError = $('#action-error');

localizeTimes();
myOrders.remember({ id: orderId, eventId, eventName: main.dataset.eventName });
// The start page lists this order with the state seen here, without asking the server again.
myOrders.update(
  orderId,
  rememberedStatus({ state: main.dataset.state, label: main.dataset.label, final: main.dataset.final === 'true' }),
);

const setText = (el, text) => {
  // Unchanged text is left alone so screen readers do not announce it again.
  if (el.textContent !== text) el.textContent = text;
};

const sameItems = (a, b) => {
  const key = (list) =>
    JSON.stringify(list.map((i) => [i.imageId, i.copies]).sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0)));
  return key(a) === key(b);
};

function apply(status) {
  main.dataset.state = status.state;
  myOrders.update(orderId, rememberedStatus(status));
  $('#status').className = `status tone-${status.tone}`;
  setText($('#status-title'), status.headline);
  setText($('#status-detail'), status.detail);
  const progress = $('#progress');
  progress.max = status.unitCount;
  progress.value = status.printedCount;
  progress.textContent = `${status.printedCount} of ${status.unitCount}`;
  $('#status-progress').hidden = !(status.state === 'redeeming' || status.state === 'fulfilled');
  const payAgain = $('#pay-again');
  payAgain.hidden = status.action !== 'pay_again';
  setText(payAgain, status.state === 'awaiting_payment' ? 'Go to the payment page' : 'Try paying again');
  $('#order-again').hidden = status.action !== 'order_again';
  $('#ticket').hidden = !status.code;
  setText($('#code'), status.code ?? '');
  $('#qr-box').hidden = !status.redeemable;
  const qr = $('#qr');
  if (status.redeemable && !qr.getAttribute('src')) qr.src = qr.dataset.src;
  // Paid: the cart that became this order is done.
  if (status.code && sameItems(cart.get(eventId), items)) cart.set(eventId, []);
  if (status.final) stop();
}

async function orderAgain() {
  actionError.textContent = '';
  try {
    window.location.assign(await placeOrder(eventId, main.dataset.eventName ?? '', items));
  } catch (err) {
    actionError.textContent = err.message;
  }
}

$('#pay-again').addEventListener('click', () => {
  // The same checkout when this phone started it; otherwise a new order for the same photos.
  const url = myOrders.checkoutUrl(orderId);
  if (url) window.location.assign(url);
  else orderAgain();
});
$('#order-again').addEventListener('click', orderAgain);

const stop =
  main.dataset.final === 'true'
    ? () => {}
    : live({
        url: `/api/orders/${encodeURIComponent(orderId)}/stream`,
        event: 'status',
        onData: apply,
        poll: async () => (await api(`/api/orders/${encodeURIComponent(orderId)}/status`)).status,
      });
