import { PassThrough } from 'node:stream';
import type Router from '@koa/router';
import { AppError, isAppError } from '../../../shared/errors.ts';
import type { CoordinatorDeps } from '../../deps.ts';
import { requireStaff, resolveStaff, type StaffIdentity, sessionExpiresAt } from '../../http/auth.ts';
import type { OpsMessage, OpsMonitor } from '../../services/ops-monitor.ts';
import { alertsHtml, printerRowHtml } from './dashboard-view.ts';

/** A comment line this often keeps proxies from closing an idle stream, and re-checks the credential. */
export const OPS_STREAM_HEARTBEAT_MS = 15_000;
/** Open dashboard streams per process; each holds a socket and a listener. */
export const MAX_OPS_STREAMS = 100;
/** How long a browser waits before reconnecting a dropped stream. */
export const OPS_STREAM_RETRY_MS = 3_000;

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

/** Why a heartbeat's credential check failed: the operator is signed out, or the check could not run. */
type RecheckOutcome = { ok: true } | { ok: false; signedOut: true } | { ok: false; signedOut: false; error: AppError };

/** The dashboard's JSON: the printer snapshot and its live stream (with the rendered rows). */
export function opsStreamRoutes(router: Router, deps: CoordinatorDeps, monitor: OpsMonitor): void {
  const { store, clock, logger } = deps;
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
    const write = (text: string) => {
      if (!closed) stream.write(text);
    };
    const send = (message: OpsMessage) => write(`event: ${message.type}\ndata: ${encoded(message)}\n\n`);
    write(`retry: ${OPS_STREAM_RETRY_MS}\n\n`);
    const unsubscribe = monitor.subscribe(send);

    // Only an answer about the credential signs the operator out (revoked, role changed, sign-in
    // expired); a store that cannot be asked right now is reported and asked again next beat.
    const recheck = async (): Promise<RecheckOutcome> => {
      let again: StaffIdentity;
      try {
        again = await resolveStaff(ctx, store);
      } catch (err) {
        if (isAppError(err, 'auth_invalid') || isAppError(err, 'auth_required')) return { ok: false, signedOut: true };
        logger.warn({ err }, 'ops stream: the credential could not be checked');
        const error = isAppError(err) && err.status === 503 ? err : new AppError('store_unavailable');
        return { ok: false, signedOut: false, error };
      }
      if (again.credentialId !== staff.credentialId || again.role !== 'operator') return { ok: false, signedOut: true };
      const expiresAt = sessionExpiresAt(ctx);
      if (again.via === 'session' && expiresAt !== null && expiresAt <= clock.now()) {
        return { ok: false, signedOut: true };
      }
      return { ok: true };
    };

    // A stream outlives the request that opened it: the credential is checked again on each beat,
    // so revoking it (or the sign-in expiring) ends the stream.
    const heartbeat = clock.setInterval(() => {
      void recheck().then((outcome) => {
        if (outcome.ok) write(`: heartbeat ${clock.now()}\n\n`);
        else if (outcome.signedOut) {
          write('event: signed_out\ndata: {}\n\n');
          close();
        } else {
          const { code, status, message } = outcome.error;
          write(`event: unavailable\ndata: ${JSON.stringify({ code, status, message })}\n\n`);
        }
      });
    }, OPS_STREAM_HEARTBEAT_MS);
    const close = () => {
      if (closed) return;
      closed = true;
      openStreams--;
      heartbeat.cancel();
      unsubscribe();
      stream.end();
    };
    ctx.res.once('close', close);
    stream.once('error', close);
  });
}
