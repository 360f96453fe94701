import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type Router from '@koa/router';
import { AppError } from '../../../shared/errors.ts';

/**
 * The shop's static files, read once into memory: a request can only ever name one of them, so no
 * path a client sends reaches the file system (no traversal by construction).
 *
 * Pages link every file as `<name>?v=<content hash>` and those answers are cached for a year: a
 * phone on a saturated stadium network fetches each version once. Module imports between scripts
 * are rewritten to carry the imported file's hash too, so a new deploy never mixes versions.
 */

export const ASSETS_DIR = new URL('./assets/', import.meta.url);
export const ASSET_PATH_PREFIX = '/shop/assets/';
/** An unversioned or stale-versioned request: cached briefly, revalidated by ETag. */
export const UNVERSIONED_MAX_AGE_SECONDS = 300;
export const VERSIONED_MAX_AGE_SECONDS = 365 * 24 * 3600;

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};
const ASSET_NAME = /^[a-z0-9-]+\.(js|css|svg)$/;
const RELATIVE_IMPORT = /(\bfrom\s*|\bimport\s*\(?\s*)'\.\/([a-z0-9-]+\.js)'/g;

export interface Asset {
  body: Buffer;
  contentType: string;
  hash: string;
  /** The versioned URL pages link to. */
  url: string;
}

export class AssetTable {
  readonly #assets: ReadonlyMap<string, Asset>;

  constructor(sources: ReadonlyMap<string, string>) {
    const built = new Map<string, Asset>();
    const building = new Set<string>();
    const build = (name: string): Asset => {
      const done = built.get(name);
      if (done) return done;
      const source = sources.get(name);
      if (source === undefined) throw new AppError('internal_error', `asset ${name} is imported but does not exist`);
      if (building.has(name)) throw new AppError('internal_error', `asset import cycle through ${name}`);
      building.add(name);
      const text =
        extname(name) === '.js'
          ? source.replace(RELATIVE_IMPORT, (_m, head: string, dep: string) => `${head}'./${dep}?v=${build(dep).hash}'`)
          : source;
      const body = Buffer.from(text, 'utf8');
      const hash = createHash('sha256').update(body).digest('base64url').slice(0, 12);
      const asset = {
        body,
        contentType: CONTENT_TYPES[extname(name)]!,
        hash,
        url: `${ASSET_PATH_PREFIX}${name}?v=${hash}`,
      };
      building.delete(name);
      built.set(name, asset);
      return asset;
    };
    for (const name of sources.keys()) {
      if (!ASSET_NAME.test(name)) throw new AppError('internal_error', `asset name ${name} is not allowed`);
      build(name);
    }
    this.#assets = built;
  }

  get(name: string): Asset | undefined {
    return this.#assets.get(name);
  }

  url(name: string): string {
    const asset = this.#assets.get(name);
    if (!asset) throw new AppError('internal_error', `no shop asset named ${name}`);
    return asset.url;
  }

  names(): string[] {
    return [...this.#assets.keys()];
  }

  /** Reads every servable file of a directory (not recursive; other files are ignored). */
  static fromDirectory(dir: URL | string = ASSETS_DIR): AssetTable {
    const sources = new Map<string, string>();
    for (const name of readdirSync(dir)) {
      if (ASSET_NAME.test(name)) sources.set(name, readFileSync(join(dirPath(dir), name), 'utf8'));
    }
    return new AssetTable(sources);
  }
}

function dirPath(dir: URL | string): string {
  return typeof dir === 'string' ? dir : fileURLToPath(dir);
}

let shared: AssetTable | null = null;

/** The shop's assets, loaded on first use and shared by every app in the process. */
export function shopAssets(): AssetTable {
  shared ??= AssetTable.fromDirectory();
  return shared;
}

export function assetRoutes(router: Router, assets: AssetTable): void {
  router.get(`${ASSET_PATH_PREFIX}:file`, (ctx) => {
    const asset = assets.get(ctx.params.file!);
    if (!asset) throw new AppError('asset_not_found', 'No such file.');
    ctx.set('x-content-type-options', 'nosniff');
    ctx.set('etag', `"${asset.hash}"`);
    ctx.set(
      'cache-control',
      ctx.query.v === asset.hash
        ? `public, max-age=${VERSIONED_MAX_AGE_SECONDS}, immutable`
        : `public, max-age=${UNVERSIONED_MAX_AGE_SECONDS}`,
    );
    ctx.type = asset.contentType;
    ctx.status = 200;
    if (ctx.fresh) {
      ctx.status = 304;
      return;
    }
    ctx.body = asset.body;
  });
}
