// Start page: local times, and the orders placed on this phone (their pages are the receipts).
import { $, localizeTimes, myOrders } from './common.js';

localizeTimes();

const orders = myOrders.list();
if (orders.length > 0) {
  const when = new Intl.DateTimeFormat(undefined, {
    day: 'numeric',
    month: 'short',
    hour: '2-digit',
    minute: '2-digit',
  });
  $('#my-orders-list').replaceChildren(
    ...orders.map((o) => {
      const link = document.createElement('a');
      link.href = `/o/${encodeURIComponent(o.id)}`;
      link.textContent = `${o.eventName || 'Order'} · ${o.at ? when.format(new Date(o.at)) : ''}`;
      const li = document.createElement('li');
      li.append(link);
      return li;
    }),
  );
  $('#my-orders').hidden = false;
}
