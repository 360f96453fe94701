import type Router from '@koa/router';
import type { Context } from 'koa';
import { AppError, isAppError } from '../../shared/errors.ts';
import { PRODUCT_IDS, type ProductId } from '../../shared/policy/after-event-pricing.ts';
import { REORDER_STATES } from '../../shared/policy/order-state.ts';
import { signDownloadToken, useDownload } from '../after-event/downloads.ts';
import { shipInput } from '../after-event/fulfilment.ts';
import { afterEventSettingsInput, type ReorderInput, reorderInput } from '../after-event/reorder-service.ts';
import type { CoordinatorDeps } from '../deps.ts';
import { requireStaff, type StaffIdentity } from '../http/auth.ts';
import { ClientRateLimiter, ORDER_BURST, ORDER_REFILL_MS } from '../http/client-rate-limiter.ts';
import { limitPerClient } from '../http/limit-per-client.ts';
import { parseInput } from '../http/validate.ts';
import type { Services } from '../services/index.ts';
import { opsPage, sendHtml } from '../web/ops/layout.ts';
import { staffPage } from '../web/ops/page-auth.ts';
import { afterEventSettingsBody, settingsFromForm } from '../web/ops/pages/after-event-settings.ts';
import { fulfilmentBody } from '../web/ops/pages/fulfilment.ts';
import type { AssetTable } from '../web/shop/assets.ts';
import { setPageHeaders } from '../web/shop/layout.ts';
import { htmlErrors } from '../web/shop/page-errors.ts';
import { findOrderPage, reorderFormPage } from '../web/shop/views-reorder.ts';
import { reorderStatusPage } from '../web/shop/views-reorder-status.ts';

/** Order-code lookups per client: a code is 40 bits, this keeps guessing pointless. */
const FIND_BURST = 20;
const FIND_REFILL_MS = 3_000;
/** What the fulfilment page says after an action went through. */
const DONE_MESSAGES: Readonly<Record<string, string>> = {
  resend: 'Sent to the lab again.',
  ship: 'Marked shipped.',
  delivered: 'Marked delivered.',
  refund: 'Refunded.',
};
const QTY_FIELD = /^q:([A-Za-z0-9_-]{1,64}):([a-z0-9_]{1,32})$/;

/** The form of the reorder page as a reorder input (quantities of 0 or blank are left out). */
export function reorderFromForm(eventId: string, form: Record<string, unknown>): ReorderInput {
  const text = (k: string) => (typeof form[k] === 'string' ? (form[k] as string) : '');
  const lines: ReorderInput['lines'] = [];
  for (const [k, v] of Object.entries(form)) {
    const m = QTY_FIELD.exec(k);
    if (!m || typeof v !== 'string' || v.trim() === '') continue;
    const quantity = Number(v);
    if (!PRODUCT_IDS.includes(m[2] as ProductId)) continue;
    if (quantity === 0) continue;
    lines.push({ imageId: m[1]!, productId: m[2] as ProductId, quantity });
  }
  const address: Record<string, string> = {};
  for (const f of ['name', 'line1', 'line2', 'city', 'region', 'postalCode', 'country', 'phone']) {
    address[f] = text(`address.${f}`);
  }
  const physical = lines.some((l) => l.productId !== 'digital_file');
  return parseInput(reorderInput, {
    eventId,
    sourceOrderId: text('from') || null,
    lines,
    bundle: text('bundle') === '1',
    shippingMethodId: physical ? text('shipping') || null : null,
    address: physical ? address : null,
  });
}

/**
 * After the event (issue #15): the reorder form and the reorder's page, order-code search, download
 * links, the JSON API, the operators' fulfilment actions. Registered only when the coordinator has
 * the after-event part (deps.afterEvent).
 */
export function afterEventRoutes(router: Router, deps: CoordinatorDeps, assets: AssetTable, services: Services): void {
  const ae = deps.afterEvent;
  const parts = services.afterEvent;
  if (!ae || !parts) return;
  const { reorders, fulfilment, dispatcher } = parts;
  const operator = requireStaff(deps.store, ['operator']);
  const findLimiter = new ClientRateLimiter({ burst: FIND_BURST, refillMs: FIND_REFILL_MS });
  // Each placement opens a checkout session at the provider: limited like venue orders.
  const placeLimiter = new ClientRateLimiter({ burst: ORDER_BURST, refillMs: ORDER_REFILL_MS });
  const link = (grantId: string) => `/d/${signDownloadToken(ae.config.downloadSecret, grantId)}`;

  const renderForm = async (
    ctx: Context,
    eventId: string,
    from: string | null,
    values: Record<string, string>,
    problems: string[],
  ) => {
    const event = await deps.store.getEvent(eventId);
    if (!event) throw new AppError('event_not_found', 'This event does not exist. Check the link, or pick an event.');
    if (!(await reorders.isOpen(event))) throw new AppError('reorder_window_closed');
    const settings = await reorders.settingsFor(event);
    const source = await reorders.sourceOrder(from, event);
    setPageHeaders(ctx, 'no-store');
    ctx.set('x-robots-tag', 'noindex');
    ctx.type = 'html';
    ctx.body = reorderFormPage(assets, {
      event,
      priceList: settings.priceList,
      closesAt: reorders.closesAt(event, settings),
      source,
      images: await deps.store.listImages(event.id),
      values,
      problems,
    });
  };

  router.get('/e/:eventId/reorder', htmlErrors(assets), async (ctx) => {
    const from = typeof ctx.query.from === 'string' ? ctx.query.from : null;
    await renderForm(ctx, ctx.params.eventId!, from, {}, []);
  });

  router.post('/e/:eventId/reorder', htmlErrors(assets), async (ctx) => {
    limitPerClient(ctx, placeLimiter, deps.clock.now(), 'too_many_orders');
    const form = flattenForm((ctx.request as { body?: unknown }).body);
    const values = Object.fromEntries(Object.entries(form).filter(([, v]) => typeof v === 'string')) as Record<
      string,
      string
    >;
    try {
      const placed = await reorders.place(reorderFromForm(ctx.params.eventId!, form));
      ctx.status = 303;
      ctx.redirect(placed.checkoutUrl);
    } catch (err) {
      if (!isAppError(err) || err.status >= 500 || err.code === 'reorder_window_closed') throw err;
      const problems = (err.details?.problems as Array<{ field: string; message: string }> | undefined)?.map(
        (p) => p.message,
      ) ?? [err.message];
      ctx.status = err.status;
      await renderForm(ctx, ctx.params.eventId!, values.from || null, values, problems);
      ctx.status = err.status;
    }
  });

  router.get('/r/:reorderId', htmlErrors(assets), async (ctx) => {
    const r = await reorders.get(ctx.params.reorderId!);
    const event = await deps.store.getEvent(r.eventId);
    if (!event) throw new AppError('reorder_not_found');
    const grants = r.erasedAt === null ? await ae.reorders.listGrants(r.id) : [];
    setPageHeaders(ctx, 'no-store');
    ctx.set('x-robots-tag', 'noindex');
    ctx.type = 'html';
    ctx.body = reorderStatusPage(assets, {
      reorder: r,
      event,
      downloads: grants.map((grant) => ({ grant, url: link(grant.id) })),
      now: deps.clock.now(),
      erased: ctx.query.erased !== undefined,
    });
  });

  router.post('/r/:reorderId/erase', htmlErrors(assets), async (ctx) => {
    const r = await reorders.erase(ctx.params.reorderId!);
    ctx.status = 303;
    ctx.redirect(`/r/${encodeURIComponent(r.id)}?erased`);
  });

  router.get('/find', htmlErrors(assets), async (ctx) => {
    const code = typeof ctx.query.code === 'string' ? ctx.query.code.trim().toUpperCase().replace(/\s+/g, '') : '';
    setPageHeaders(ctx, 'no-store');
    ctx.type = 'html';
    if (!code) {
      ctx.body = findOrderPage(assets, null, '');
      return;
    }
    limitPerClient(ctx, findLimiter, deps.clock.now(), 'too_many_orders');
    const order = await deps.store.getOrderByCode(code);
    const event = order ? await deps.store.getEvent(order.eventId) : null;
    if (!order || !event) {
      ctx.status = 404;
      ctx.body = findOrderPage(assets, 'No order has this code. Check it against your order page or receipt.', code);
      return;
    }
    ctx.status = 303;
    ctx.redirect(`/e/${encodeURIComponent(event.id)}/reorder?from=${encodeURIComponent(order.id)}`);
  });

  router.get('/d/:token', async (ctx) => {
    const file = await useDownload(
      { store: deps.store, reorders: ae.reorders, secret: ae.config.downloadSecret, now: deps.clock.now() },
      ctx.params.token!,
    );
    ctx.set('cache-control', 'no-store');
    ctx.set('x-content-type-options', 'nosniff');
    ctx.set('referrer-policy', 'no-referrer');
    ctx.set('x-robots-tag', 'noindex');
    ctx.set('content-disposition', `attachment; filename="${file.fileName}"`);
    ctx.set('x-downloads-left', String(file.usesLeft));
    ctx.type = file.contentType;
    ctx.body = file.bytes;
  });

  // --- JSON API ---
  router.post('/api/reorders/quote', async (ctx) => {
    const { quote } = await reorders.quote(parseInput(reorderInput, ctx.request.body));
    ctx.body = { quote };
  });
  router.post('/api/reorders', async (ctx) => {
    limitPerClient(ctx, placeLimiter, deps.clock.now(), 'too_many_orders');
    const placed = await reorders.place(parseInput(reorderInput, ctx.request.body));
    ctx.status = 201;
    ctx.body = { reorder: placed.reorder, checkoutUrl: placed.checkoutUrl };
  });
  router.get('/api/reorders/:reorderId', async (ctx) => {
    const r = await reorders.get(ctx.params.reorderId!);
    const grants = r.erasedAt === null ? await ae.reorders.listGrants(r.id) : [];
    ctx.set('cache-control', 'no-store');
    ctx.body = { reorder: r, downloads: grants.map((g) => ({ ...g, url: link(g.id) })) };
  });
  router.post('/api/reorders/:reorderId/erase', async (ctx) => {
    ctx.body = { reorder: await reorders.erase(ctx.params.reorderId!) };
  });
  router.get('/api/events/:eventId/after-event', async (ctx) => {
    const event = await deps.store.getEvent(ctx.params.eventId!);
    if (!event) throw new AppError('event_not_found');
    const settings = await reorders.settingsFor(event);
    ctx.body = { settings, open: await reorders.isOpen(event), closesAt: reorders.closesAt(event, settings) };
  });
  router.put('/api/events/:eventId/after-event', operator, async (ctx) => {
    ctx.body = {
      settings: await reorders.setSettings(ctx.params.eventId!, parseInput(afterEventSettingsInput, ctx.request.body)),
    };
  });
  router.get('/api/reorders', operator, async (ctx) => {
    const states = typeof ctx.query.state === 'string' ? ctx.query.state.split(',') : [...REORDER_STATES];
    const valid = states.filter((s): s is (typeof REORDER_STATES)[number] =>
      (REORDER_STATES as readonly string[]).includes(s),
    );
    ctx.body = { reorders: await ae.reorders.listReorders({ states: valid }, 200) };
  });
  router.get('/api/reorders-summary', operator, async (ctx) => {
    ctx.body = { events: await ae.reorders.summary() };
  });

  const opsOperator = staffPage(deps.store, ['operator']);
  router.get('/ops/fulfilment', opsOperator, async (ctx) => {
    const [groups, events, summary] = await Promise.all([
      fulfilment.byState(),
      deps.store.listEvents(),
      ae.reorders.summary(),
    ]);
    const action = ['resend', 'ship', 'delivered', 'refund'].find((a) => typeof ctx.query[a] === 'string');
    const notice = action ? String(ctx.query[action]) : null;
    const body = fulfilmentBody(groups, new Map(events.map((e) => [e.id, e])), summary, notice);
    sendHtml(
      ctx,
      200,
      opsPage({ title: 'Fulfilment', staff: ctx.state.staff as StaffIdentity, current: 'fulfilment', body }),
    );
  });

  const settingsPage = async (ctx: Context, eventId: string, notice: { saved: boolean; problems: string[] }) => {
    const event = await deps.store.getEvent(eventId);
    if (!event) throw new AppError('event_not_found');
    const settings = await reorders.settingsFor(event);
    const body = afterEventSettingsBody(event, settings, reorders.closesAt(event, settings), notice);
    sendHtml(
      ctx,
      notice.problems.length > 0 ? 400 : 200,
      opsPage({
        title: `After the event · ${event.name}`,
        staff: ctx.state.staff as StaffIdentity,
        current: 'events',
        body,
      }),
    );
  };
  router.get('/ops/events/:eventId/after-event', opsOperator, async (ctx) => {
    await settingsPage(ctx, ctx.params.eventId!, { saved: ctx.query.saved !== undefined, problems: [] });
  });
  router.post('/ops/events/:eventId/after-event', operator, async (ctx) => {
    const event = await deps.store.getEvent(ctx.params.eventId!);
    if (!event) throw new AppError('event_not_found');
    const parsed = settingsFromForm(await reorders.settingsFor(event), flattenForm(ctx.request.body));
    if ('problems' in parsed) {
      await settingsPage(ctx, event.id, { saved: false, problems: parsed.problems });
      return;
    }
    await reorders.setSettings(event.id, parseInput(afterEventSettingsInput, parsed.input));
    ctx.status = 303;
    ctx.redirect(`/ops/events/${encodeURIComponent(event.id)}/after-event?saved`);
  });

  // Operator actions: JSON for scripts, and the fulfilment page's forms (redirect back).
  const actions: Record<string, (id: string, body: unknown) => Promise<unknown>> = {
    resend: (id) => fulfilment.resend(id),
    ship: (id, body) => fulfilment.markShipped(id, parseInput(shipInput, body)),
    delivered: (id) => fulfilment.markDelivered(id),
    refund: (id) => fulfilment.refund(id),
  };
  router.post('/api/reorders/:reorderId/:action', operator, async (ctx, next) => {
    const action = actions[ctx.params.action!];
    if (!action) return next();
    ctx.body = { result: await action(ctx.params.reorderId!, ctx.request.body) };
  });
  router.post('/ops/fulfilment/:reorderId/:action', operator, async (ctx, next) => {
    const action = actions[ctx.params.action!];
    if (!action) return next();
    let message = DONE_MESSAGES[ctx.params.action!] ?? 'Done.';
    try {
      await action(ctx.params.reorderId!, ctx.request.body);
      await dispatcher.runOnce();
    } catch (err) {
      if (!isAppError(err) || err.status >= 500) throw err;
      message = err.message;
    }
    ctx.status = 303;
    ctx.redirect(
      `/ops/fulfilment?${new URLSearchParams({ order: ctx.params.reorderId!, [ctx.params.action!]: message })}`,
    );
  });
}

/** The body parser reads "address.name" as { address: { name } }; the form's own names are flat. */
export function flattenForm(body: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (typeof body !== 'object' || body === null) return out;
  for (const [k, v] of Object.entries(body)) {
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
      for (const [k2, v2] of Object.entries(v)) out[`${k}.${k2}`] = v2;
    } else {
      out[k] = v;
    }
  }
  return out;
}
