import type Router from '@koa/router';
import type { CoordinatorDeps } from '../../deps.ts';
import { staffSessions } from '../../http/auth.ts';
import { SessionSealer } from '../../http/session-cookie.ts';
import type { Services } from '../../services/index.ts';
import { opsAssetRoutes } from './assets.ts';
import { opsPageRoutes } from './page-routes.ts';
import { signinRoutes } from './signin.ts';
import { opsStreamRoutes } from './stream-routes.ts';

/**
 * The staff console: sign-in, the operator pages, their assets and JSON API. Returns the session
 * middleware, which the app mounts before every route so requireStaff also accepts the cookie.
 */
export function opsConsole(router: Router, deps: CoordinatorDeps, services: Services) {
  const sealer = new SessionSealer(deps.settings.sessionSecret);
  signinRoutes(router, deps, sealer);
  opsStreamRoutes(router, deps, services.ops);
  opsPageRoutes(router, deps, services.ops);
  opsAssetRoutes(router);
  return staffSessions({ sealer, clock: deps.clock, publicUrl: deps.settings.publicUrl });
}
