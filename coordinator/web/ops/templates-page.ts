import type Router from '@koa/router';
import type { Context } from 'koa';
import type { CoordinatorDeps } from '../../deps.ts';
import type { StaffIdentity } from '../../http/auth.ts';
import type { TemplateService } from '../../templates/template-service.ts';
import { notFoundPage, opsPage, sendHtml } from './layout.ts';
import { staffPage } from './page-auth.ts';
import { templatesBody } from './pages/templates.ts';

const SAVED_NOTICES: Readonly<Record<string, string>> = {
  frame: 'Frame added. It goes onto the printers’ feed within seconds.',
  table: 'Fee-rate table switched. New quotes use it; placed orders keep their price.',
  windows: 'Windows saved. The new version goes onto the printers’ feed within seconds.',
  tables: 'Fee-rate tables saved. New quotes use them; placed orders keep their price.',
  retired: 'The template is no longer offered. Orders that have it still print framed.',
};

/** Issue #14: the operator's page of an event's templates: upload, windows, uses, fees, tables. */
export function opsTemplateRoutes(router: Router, deps: CoordinatorDeps, templates: TemplateService): void {
  const operator = staffPage(deps.store, ['operator']);
  router.get('/ops/events/:eventId/templates', operator, async (ctx: Context) => {
    const staff = ctx.state.staff as StaffIdentity;
    const event = await deps.store.getEvent(String(ctx.params.eventId));
    if (!event) return sendHtml(ctx, 404, notFoundPage(staff, 'There is no event with this id.'));
    const saved = typeof ctx.query.saved === 'string' ? (SAVED_NOTICES[ctx.query.saved] ?? null) : null;
    const [printers, reports] = await Promise.all([
      deps.store.listPrinters({ venueId: event.venueId }),
      deps.store.listPrinterReports({ venueId: event.venueId }),
    ]);
    const holdings = printers
      .filter((p) => p.revokedAt === null)
      .map((p) => ({ name: p.name, ...framesHeld(reports.find((r) => r.printerId === p.id)?.report, event.id) }));
    sendHtml(
      ctx,
      200,
      opsPage({
        title: `Templates · ${event.name}`,
        staff,
        current: 'events',
        body: templatesBody(event, await templates.stats(event.id), saved, holdings),
        scripts: ['templates.js'],
      }),
    );
  });
}

/** What a printer last reported of this event's frames (issue #14): held whole / on the feed. */
function framesHeld(
  report: Record<string, unknown> | undefined,
  eventId: string,
): { held: number | null; total: number | null } {
  const events = Array.isArray(report?.events) ? (report.events as Array<Record<string, unknown>>) : [];
  const e = events.find((x) => x.eventId === eventId);
  const held = typeof e?.templatesHeld === 'number' ? e.templatesHeld : null;
  const total = typeof e?.templatesTotal === 'number' ? e.templatesTotal : null;
  return { held, total };
}
