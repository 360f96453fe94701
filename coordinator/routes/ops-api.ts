import { PassThrough } from 'node:stream';
import type Router from '@koa/router';
import { z } from 'zod';
import { AppError } from '../../shared/errors.ts';
import { ORDER_STATES, type OrderState } from '../../shared/policy/order-state.ts';
import type { CoordinatorDeps } from '../deps.ts';
import { requireStaff, resolveStaff, type StaffIdentity, sessionExpiresAt } from '../http/auth.ts';
import { parseInput } from '../http/validate.ts';
import { orderView } from '../views.ts';
import { alertsHtml, printerRowHtml } from '../web/ops/dashboard-view.ts';
import type { OpsMessage, OpsMonitor } from '../web/ops/ops-monitor.ts';

/** A comment line this often keeps proxies from closing an idle stream, and re-checks the credential. */
export const OPS_STREAM_HEARTBEAT_MS = 15_000;
/** Open dashboard streams per process; each holds a socket and a listener. */
export const MAX_OPS_STREAMS = 100;
/** How long a browser waits before reconnecting a dropped stream. */
export const OPS_STREAM_RETRY_MS = 3_000;
export const MAX_ORDERS_LISTED = 200;
/** Paid and not yet fully printed: what fans are waiting for. */
export const IN_FLIGHT_STATES: readonly OrderState[] = ['paid', 'redeeming'];

const orderQuery = z
  .object({
    state: z
      .string()
      .optional()
      .transform((s) => (s ? s.split(',') : [...IN_FLIGHT_STATES]))
      .pipe(z.array(z.enum(ORDER_STATES)).min(1).max(ORDER_STATES.length)),
  })
  .strip();

/**
 * Stream messages carry the rendered rows and alerts next to the data: the page swaps them in, so
 * the markup has one renderer (dashboard-view.ts) and the browser script stays small.
 */
export function withHtml(message: OpsMessage) {
  const now = message.data.generatedAt;
  const rows = message.type === 'snapshot' ? message.data.rows : message.data.changed;
  return {
    ...message.data,
    html: {
      rows: Object.fromEntries(rows.map((r) => [r.id, printerRowHtml(r, now).value])),
      alerts: alertsHtml(message.data.alerts).value,
    },
  };
}

/** The operator dashboard's JSON: printer snapshot, its live stream, and an event's orders. */
export function opsApiRoutes(router: Router, deps: CoordinatorDeps, monitor: OpsMonitor): void {
  const { store, clock } = deps;
  const operator = requireStaff(store, ['operator']);
  let openStreams = 0;
  // Every open dashboard gets the same message object: render and encode it once.
  const encodedMessages = new WeakMap<object, string>();
  const encoded = (message: OpsMessage): string => {
    let text = encodedMessages.get(message.data);
    if (text === undefined) {
      text = JSON.stringify(withHtml(message));
      encodedMessages.set(message.data, text);
    }
    return text;
  };

  router.get('/api/ops/snapshot', operator, async (ctx) => {
    ctx.set('cache-control', 'no-store');
    ctx.body = await monitor.snapshot();
  });

  // Server-Sent Events: `snapshot` first, then `update` whenever a row or the alerts change.
  router.get('/api/ops/stream', operator, async (ctx) => {
    if (openStreams >= MAX_OPS_STREAMS) {
      throw new AppError('too_many_streams', 'Too many dashboards are open; close one and reload.');
    }
    const staff = ctx.state.staff as StaffIdentity;
    const stream = new PassThrough();
    ctx.req.socket.setTimeout(0);
    ctx.req.socket.setNoDelay(true);
    ctx.status = 200;
    ctx.set({
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      // nginx and similar proxies would otherwise buffer the stream and deliver it in lumps.
      'x-accel-buffering': 'no',
    });
    ctx.body = stream;
    openStreams++;

    let closed = false;
    const send = (message: OpsMessage) => {
      if (!closed) stream.write(`event: ${message.type}\ndata: ${encoded(message)}\n\n`);
    };
    stream.write(`retry: ${OPS_STREAM_RETRY_MS}\n\n`);
    const unsubscribe = monitor.subscribe(send);
    // A stream outlives the request that opened it: the credential is checked again on each beat,
    // so revoking it (or the sign-in expiring) ends the stream.
    const heartbeat = setInterval(() => {
      void (async () => {
        try {
          const again = await resolveStaff(ctx, store);
          const expiresAt = sessionExpiresAt(ctx);
          if (again.credentialId !== staff.credentialId || again.role !== 'operator') throw new Error('role changed');
          if (again.via === 'session' && expiresAt !== null && expiresAt <= clock.now()) throw new Error('expired');
          if (!closed) stream.write(`: heartbeat ${clock.now()}\n\n`);
        } catch {
          if (!closed) stream.write('event: signed_out\ndata: {}\n\n');
          close();
        }
      })();
    }, OPS_STREAM_HEARTBEAT_MS);
    const close = () => {
      if (closed) return;
      closed = true;
      openStreams--;
      clearInterval(heartbeat);
      unsubscribe();
      stream.end();
    };
    ctx.res.once('close', close);
    stream.once('error', close);
  });

  router.get('/api/events/:eventId/orders', operator, async (ctx) => {
    const event = await store.getEvent(ctx.params.eventId!);
    if (!event) throw new AppError('event_not_found', 'This event does not exist.');
    const { state } = parseInput(orderQuery, ctx.query, 'query');
    const orders = await store.listOrders({ eventId: event.id, states: state }, MAX_ORDERS_LISTED);
    ctx.set('cache-control', 'no-store');
    ctx.body = { orders: orders.map(orderView), limit: MAX_ORDERS_LISTED };
  });
}
