import type Router from '@koa/router';
import type { CoordinatorDeps } from '../deps.ts';
import type { Services } from '../services/index.ts';

/** Rendered previews and thumbnails, public and immutable (an image id never changes content). */
export function mediaRoutes(router: Router, _deps: CoordinatorDeps, { images }: Services): void {
  router.get('/media/images/:imageId/:variant', async (ctx) => {
    const media = await images.variant(ctx.params.imageId!, String(ctx.params.variant));
    ctx.type = media.contentType;
    ctx.set('cache-control', 'public, max-age=86400, immutable');
    ctx.body = media.bytes;
  });
}
