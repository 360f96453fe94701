import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type Router from '@koa/router';
import { AppError } from '../../../shared/errors.ts';
import { OPS_ASSETS } from './layout.ts';

const HERE = fileURLToPath(new URL('./assets/', import.meta.url));
const JS = 'text/javascript; charset=utf-8';

/** Every file the pages may load, by name: nothing else on disk is reachable through this route. */
const FILES: Readonly<Record<string, { path: () => string; type: string }>> = {
  'ops.css': { path: () => `${HERE}ops.css`, type: 'text/css; charset=utf-8' },
  'common.js': { path: () => `${HERE}common.js`, type: JS },
  'conflicts.js': { path: () => `${HERE}conflicts.js`, type: JS },
  'dashboard.js': { path: () => `${HERE}dashboard.js`, type: JS },
  'event.js': { path: () => `${HERE}event.js`, type: JS },
  'events.js': { path: () => `${HERE}events.js`, type: JS },
  'kiosk-dashboard.js': { path: () => `${HERE}kiosk-dashboard.js`, type: JS },
  'prices.js': { path: () => `${HERE}prices.js`, type: JS },
  'printers.js': { path: () => `${HERE}printers.js`, type: JS },
  'templates.js': { path: () => `${HERE}templates.js`, type: JS },
  'tokens.js': { path: () => `${HERE}tokens.js`, type: JS },
  'upload.js': { path: () => `${HERE}upload.js`, type: JS },
  // QR decoding in the browser (pair a printer from a photo of its pairing QR), no CDN.
  'jsQR.js': { path: () => createRequire(import.meta.url).resolve('jsqr/dist/jsQR.js'), type: JS },
};

interface Loaded {
  bytes: Buffer;
  etag: string;
}

/** Static files of the operator pages, read once and revalidated by ETag. */
export function opsAssetRoutes(router: Router): void {
  const cache = new Map<string, Promise<Loaded>>();
  const load = (name: string, path: string) => {
    let loaded = cache.get(name);
    if (!loaded) {
      loaded = readFile(path).then((bytes) => ({
        bytes,
        etag: `"${createHash('sha256').update(bytes).digest('base64url').slice(0, 22)}"`,
      }));
      loaded.catch(() => cache.delete(name));
      cache.set(name, loaded);
    }
    return loaded;
  };

  router.get(`${OPS_ASSETS}/:name`, async (ctx) => {
    const file = Object.hasOwn(FILES, ctx.params.name!) ? FILES[ctx.params.name!] : undefined;
    if (!file) throw new AppError('asset_not_found', 'No such file.');
    const { bytes, etag } = await load(ctx.params.name!, file.path());
    ctx.set({ 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff' });
    ctx.etag = etag;
    ctx.type = file.type;
    ctx.status = 200;
    if (ctx.fresh) {
      ctx.status = 304;
      return;
    }
    ctx.body = bytes;
  });
}
