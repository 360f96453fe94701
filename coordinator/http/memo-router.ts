import Router from '@koa/router';

/** Distinct (method, path) pairs whose match one router keeps. */
export const MAX_MEMOISED_ROUTE_MATCHES = 512;

type Match = ReturnType<Router['match']>;

/**
 * A router that remembers which routes a (method, path) matched, for routes without parameters.
 * @koa/router tests the path against every registered route (and calls `debug` for each test) on
 * every request: ~6 µs per request with the coordinator's ~100 routes, 2 % of a printer's
 * redemption (issue #16). A match depends only on the method, the path and the registered routes,
 * so it is kept while the routes stay as they are. Matches that capture parameters, and misses,
 * are not kept: their paths are as many as clients care to send.
 */
export class MemoRouter extends Router {
  readonly #memo = new Map<string, Match>();
  #routeCount = -1;

  override match(path: string, method: string): Match {
    if (this.stack.length !== this.#routeCount) {
      this.#memo.clear();
      this.#routeCount = this.stack.length;
    }
    const key = `${method} ${path}`;
    const kept = this.#memo.get(key);
    // Copies: the dispatcher keeps the arrays on the context, and nested routers push onto them.
    if (kept) return { path: [...kept.path], pathAndMethod: [...kept.pathAndMethod], route: kept.route };
    const match = super.match(path, method);
    if (
      match.route &&
      this.#memo.size < MAX_MEMOISED_ROUTE_MATCHES &&
      match.path.every((layer) => layer.paramNames.length === 0)
    ) {
      this.#memo.set(key, { path: [...match.path], pathAndMethod: [...match.pathAndMethod], route: match.route });
    }
    return match;
  }

  override prefix(prefixPath: string): this {
    this.#memo.clear();
    super.prefix(prefixPath);
    return this;
  }
}
