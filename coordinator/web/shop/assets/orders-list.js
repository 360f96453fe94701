// "Your orders on this phone": which remembered orders to ask the server about, and what each row
// says. Pure (no DOM, no storage) so it runs under the unit tests as well as in the page.

/** At most this many status requests per visit to the start page, however many orders are kept. */
export const MAX_ORDERS_REFRESHED = 5;

/**
 * The newest orders whose last known state can still change: an order seen printed or cancelled
 * stays so, and older orders keep the state this phone last saw.
 */
export function ordersToRefresh(orders, cap = MAX_ORDERS_REFRESHED) {
  return orders.filter((o) => o.final !== true).slice(0, cap);
}

/** The fields of a status answer this phone keeps with the order. */
export const rememberedStatus = (status) => ({ state: status.state, label: status.label, final: status.final });

/** A row's state text: the last one seen, or a plain "Open the order" when none was seen yet. */
export const stateText = (order) => (typeof order.label === 'string' && order.label ? order.label : 'Open to see');
