// Start page: local times, and the orders placed on this phone (their pages are the receipts),
// each with its state: the last one seen here, refreshed from the server for the newest few.
import { $, api, localizeTimes, myOrders } from './common.js';
import { ordersToRefresh, rememberedStatus, stateText } from './orders-list.js';

localizeTimes();

const orders = myOrders.list();
if (orders.length > 0) {
  const when = new Intl.DateTimeFormat(undefined, {
    day: 'numeric',
    month: 'short',
    hour: '2-digit',
    minute: '2-digit',
  });
  const states = new Map();
  $('#my-orders-list').replaceChildren(
    ...orders.map((o) => {
      const link = document.createElement('a');
      link.href = `/o/${encodeURIComponent(o.id)}`;
      link.textContent = `${o.eventName || 'Order'} · ${o.at ? when.format(new Date(o.at)) : ''}`;
      const state = document.createElement('span');
      state.className = 'order-state';
      state.dataset.state = o.state ?? '';
      state.textContent = stateText(o);
      states.set(o.id, state);
      const li = document.createElement('li');
      li.append(link, ' ', state);
      return li;
    }),
  );
  $('#my-orders').hidden = false;
  for (const o of ordersToRefresh(orders)) {
    api(`/api/orders/${encodeURIComponent(o.id)}/status`)
      .then(({ status }) => {
        const seen = rememberedStatus(status);
        myOrders.update(o.id, seen);
        const el = states.get(o.id);
        el.dataset.state = seen.state;
        el.textContent = stateText(seen);
      })
      .catch((err) => {
        // Offline: the row keeps the state last seen. An order the shop no longer knows is not asked about again.
        if (err.code !== 'order_not_found') return;
        myOrders.update(o.id, { label: 'Not found', final: true });
        states.get(o.id).textContent = 'Not found';
      });
  }
}
