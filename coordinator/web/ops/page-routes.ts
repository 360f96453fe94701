import type Router from '@koa/router';
import type { Context } from 'koa';
import { html } from '../../../shared/web/html.ts';
import type { CoordinatorDeps } from '../../deps.ts';
import type { StaffIdentity } from '../../http/auth.ts';
import { buildConflictViews, OrderCodes } from '../../services/conflict-views.ts';
import { loadDeliveryMatrix } from '../../services/delivery.ts';
import { kioskDashboard } from '../../services/kiosk-dashboard.ts';
import { MAX_CONFLICTS_LISTED } from '../../services/offline-redemptions.ts';
import type { OpsMonitor } from '../../services/ops-monitor.ts';
import { IN_FLIGHT_STATES, MAX_ORDERS_LISTED } from '../../services/orders.ts';
import type { EventRecord } from '../../store/records.ts';
import { dashboardBody } from './dashboard-view.ts';
import { notFoundPage, opsPage, sendHtml } from './layout.ts';
import { staffPage } from './page-auth.ts';
import { conflictsBody } from './pages/conflicts.ts';
import { type EventViewData, eventBody, eventLiveFragment } from './pages/event.ts';
import { eventsBody } from './pages/events.ts';
import { summaryTable } from './pages/fulfilment.ts';
import { kioskDashboardHtml } from './pages/kiosk-sales.ts';
import { pricesBody } from './pages/prices.ts';
import { printersBody } from './pages/printers.ts';
import { tokensBody } from './pages/tokens.ts';
import { defaultUploadEvent, uploadBody } from './pages/upload.ts';

/** The dashboard's sales summary covers this long back from now. */
const SALES_WINDOW_MS = 24 * 60 * 60 * 1000;

/** The operator pages (and the photographers' upload page), server-rendered. */
export function opsPageRoutes(router: Router, deps: CoordinatorDeps, monitor: OpsMonitor): void {
  const { store, clock, settings } = deps;
  const operator = staffPage(store, ['operator']);
  const uploader = staffPage(store, ['operator', 'photographer']);
  const staffOf = (ctx: Context) => ctx.state.staff as StaffIdentity;
  const orderCodes = new OrderCodes();

  /** The event named in the path, or a 404 page (and null). */
  const eventOr404 = async (ctx: Context): Promise<EventRecord | null> => {
    const event = await store.getEvent(String(ctx.params.eventId));
    if (!event) sendHtml(ctx, 404, notFoundPage(staffOf(ctx), 'There is no event with this id.'));
    return event;
  };

  const eventViewData = async (event: EventRecord): Promise<EventViewData> => {
    const [venue, matrix, orders, printers] = await Promise.all([
      store.getVenue(event.venueId),
      loadDeliveryMatrix(store, event),
      store.listOrders({ eventId: event.id, states: IN_FLIGHT_STATES }, MAX_ORDERS_LISTED),
      store.listPrinters({ venueId: event.venueId }),
    ]);
    return {
      event,
      venueName: venue?.name ?? event.venueId,
      matrix,
      orders,
      ordersLimit: MAX_ORDERS_LISTED,
      printers,
      now: clock.now(),
    };
  };

  router.get('/ops', operator, async (ctx) => {
    const [snapshot, sales, kiosk] = await Promise.all([
      monitor.snapshot(),
      store.salesSince(clock.now() - SALES_WINDOW_MS),
      kioskDashboard(deps, clock.now() - SALES_WINDOW_MS),
    ]);
    const reorderSummary = deps.afterEvent ? await deps.afterEvent.reorders.summary() : null;
    const reorders = reorderSummary
      ? summaryTable(reorderSummary, new Map((await store.listEvents()).map((e) => [e.id, e])))
      : html``;
    const body = html`${dashboardBody(snapshot, sales)}${kioskDashboardHtml(kiosk)}${reorders}`;
    sendHtml(
      ctx,
      200,
      opsPage({
        title: 'Dashboard',
        staff: staffOf(ctx),
        current: 'dashboard',
        body,
        scripts: ['dashboard.js', 'kiosk-dashboard.js'],
      }),
    );
  });

  router.get('/ops/events', operator, async (ctx) => {
    const [events, venues] = await Promise.all([store.listEvents(), store.listVenues()]);
    sendHtml(
      ctx,
      200,
      opsPage({
        title: 'Events',
        staff: staffOf(ctx),
        current: 'events',
        body: eventsBody(events, venues),
        scripts: ['events.js'],
      }),
    );
  });

  router.get('/ops/events/:eventId', operator, async (ctx) => {
    const event = await eventOr404(ctx);
    if (!event) return;
    const body = eventBody(await eventViewData(event));
    sendHtml(
      ctx,
      200,
      opsPage({ title: event.name, staff: staffOf(ctx), current: 'events', body, scripts: ['event.js'] }),
    );
  });

  // The self-refreshing part of the event page, as an HTML fragment.
  router.get('/ops/events/:eventId/live', operator, async (ctx) => {
    const event = await eventOr404(ctx);
    if (!event) return;
    sendHtml(ctx, 200, eventLiveFragment(await eventViewData(event)).value);
  });

  router.get('/ops/events/:eventId/prices', operator, async (ctx) => {
    const event = await eventOr404(ctx);
    if (!event) return;
    sendHtml(
      ctx,
      200,
      opsPage({
        title: `Prices · ${event.name}`,
        staff: staffOf(ctx),
        current: 'events',
        body: pricesBody(event, ctx.query.saved !== undefined),
        scripts: ['prices.js'],
      }),
    );
  });

  router.get('/ops/printers', operator, async (ctx) => {
    const [printers, venues] = await Promise.all([store.listPrinters(), store.listVenues()]);
    const body = printersBody(printers, venues, clock.now());
    sendHtml(
      ctx,
      200,
      opsPage({ title: 'Printers', staff: staffOf(ctx), current: 'printers', body, scripts: ['printers.js'] }),
    );
  });

  router.get('/ops/conflicts', operator, async (ctx) => {
    const [conflicts, printers, offlineRedemptions] = await Promise.all([
      store.listConflicts({}, MAX_CONFLICTS_LISTED),
      store.listPrinters(),
      store.listOfflineRedemptions(),
    ]);
    const views = await buildConflictViews({ store, conflicts, printers, codes: orderCodes });
    const body = conflictsBody({ views, limit: MAX_CONFLICTS_LISTED, offlineRedemptions });
    sendHtml(
      ctx,
      200,
      opsPage({ title: 'Conflicts', staff: staffOf(ctx), current: 'conflicts', body, scripts: ['conflicts.js'] }),
    );
  });

  router.get('/ops/tokens', operator, async (ctx) => {
    const staff = staffOf(ctx);
    const body = tokensBody(await store.listCredentials(), staff.credentialId);
    sendHtml(ctx, 200, opsPage({ title: 'Access tokens', staff, current: 'tokens', body, scripts: ['tokens.js'] }));
  });

  router.get('/ops/upload', uploader, async (ctx) => {
    const events = await store.listEvents();
    const now = clock.now();
    const selected =
      typeof ctx.query.event === 'string' ? ctx.query.event : (defaultUploadEvent(events, now)?.id ?? null);
    const body = uploadBody(events, selected, settings.imageLimits.maxUploadBytes, now);
    sendHtml(
      ctx,
      200,
      opsPage({ title: 'Upload photos', staff: staffOf(ctx), current: 'upload', body, scripts: ['upload.js'] }),
    );
  });
}
