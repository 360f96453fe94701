import type Router from '@koa/router';
import { AppError } from '../../../shared/errors.ts';
import { MAX_COPIES_PER_IMAGE } from '../../../shared/policy/pricing.ts';
import { ReorderService } from '../../after-event/reorder-service.ts';
import type { CoordinatorDeps } from '../../deps.ts';
import { imageQuerySchema, photographersOf, selectImages } from '../../services/image-query.ts';
import { loadOrderSnapshot } from '../../services/orders.ts';
import { templateStoreFor } from '../../templates/template-store.ts';
import type { AssetTable } from './assets.ts';
import { setPageHeaders } from './layout.ts';
import { htmlErrors } from './page-errors.ts';
import { GALLERY_PAGE_SIZE, galleryPage, photoPage } from './views-gallery.ts';
import { homePage } from './views-home.ts';
import { orderPage } from './views-order.ts';
import { afterEventSection, reorderGalleryNotice } from './views-reorder.ts';

/** Gallery page parameters; anything else in the URL (tracking tags on shared links) is ignored. */
const GALLERY_PARAMS = ['photographer', 'from', 'to', 'cursor'] as const;

/**
 * The fan shop (phone first): events, an event's gallery with filters, cart and checkout, and the
 * order page with the QR code and live printing status. Pages are rendered here; the little
 * script they carry only enhances them (dialogs, cart, live updates). All routes are public; an
 * order page's URL carries the order id, which is the fan's capability.
 */
export function shopRoutes(router: Router, deps: CoordinatorDeps, assets: AssetTable): void {
  const { store, clock } = deps;
  const pageErrors = htmlErrors(assets);
  /** Issue #14: the cart loads its frame choice only where the event offers templates. */
  const offeredTemplates = async (eventId: string) =>
    (await templateStoreFor(store).list(eventId)).filter((t) => !t.retired).length;

  router.get('/', pageErrors, async (ctx) => {
    setPageHeaders(ctx, 'no-cache');
    ctx.type = 'html';
    ctx.body = homePage(assets, await store.listEvents(), clock.now());
  });

  router.get('/e/:eventId', pageErrors, async (ctx) => {
    const event = await store.getEvent(ctx.params.eventId!);
    if (!event) throw new AppError('event_not_found', 'This event does not exist. Check the link, or pick an event.');
    const params: Record<string, unknown> = { order: 'newest', limit: GALLERY_PAGE_SIZE };
    for (const k of GALLERY_PARAMS) if (typeof ctx.query[k] === 'string') params[k] = ctx.query[k];
    const parsed = imageQuerySchema.safeParse(params);
    if (!parsed.success) {
      const bad = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
      throw new AppError('invalid_input', `This filter is not valid (${bad}). Clear the filters and try again.`);
    }
    const query = parsed.data;
    const all = await store.listImages(event.id);
    const page = selectImages(all, query);
    const matching = selectImages(all, { ...query, order: 'feed', limit: undefined, cursor: undefined }).images.length;
    setPageHeaders(ctx, 'no-cache');
    ctx.type = 'html';
    // After the event: a notice pointing at prints, canvas and files from the lab (issue #15).
    const reorderNotice =
      deps.afterEvent && clock.now() >= event.endsAt
        ? (await new ReorderService({ ...deps, afterEvent: deps.afterEvent }).isOpen(event))
          ? reorderGalleryNotice(event.id)
          : undefined
        : undefined;
    ctx.body = galleryPage(assets, {
      event,
      photographers: photographersOf(all),
      filter: { photographer: query.photographer, from: query.from, to: query.to },
      images: page.images,
      nextCursor: page.nextCursor,
      matching,
      now: clock.now(),
      maxCopies: MAX_COPIES_PER_IMAGE,
      afterEvent: reorderNotice,
      templateCount: await offeredTemplates(event.id),
    });
  });

  router.get('/e/:eventId/photo/:imageId', pageErrors, async (ctx) => {
    const [event, image] = await Promise.all([
      store.getEvent(ctx.params.eventId!),
      store.getImage(ctx.params.imageId!),
    ]);
    if (!event || !image || image.eventId !== event.id) {
      throw new AppError('image_not_found', 'This photo does not exist at this event.');
    }
    setPageHeaders(ctx, 'no-cache');
    ctx.type = 'html';
    ctx.body = photoPage(assets, event, image, MAX_COPIES_PER_IMAGE, await offeredTemplates(event.id));
  });

  router.get('/o/:orderId', pageErrors, async (ctx) => {
    const snapshot = await loadOrderSnapshot(deps, ctx.params.orderId!);
    if (!snapshot) {
      throw new AppError('order_not_found', 'There is no order at this address. Check that the link is complete.');
    }
    setPageHeaders(ctx, 'no-store');
    ctx.set('x-robots-tag', 'noindex');
    ctx.type = 'html';
    const offer = deps.afterEvent
      ? await new ReorderService({ ...deps, afterEvent: deps.afterEvent }).offerFor(snapshot.order)
      : null;
    ctx.body = orderPage(assets, snapshot, offer ? afterEventSection(snapshot.order, offer) : undefined);
  });
}
