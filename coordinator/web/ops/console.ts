import type Router from '@koa/router';
import type { CoordinatorDeps } from '../../deps.ts';
import { staffSessions } from '../../http/auth.ts';
import { SessionSealer } from '../../http/session-cookie.ts';
import { opsApiRoutes } from '../../routes/ops-api.ts';
import { opsAssetRoutes } from './assets.ts';
import { OpsMonitor } from './ops-monitor.ts';
import { opsPageRoutes } from './page-routes.ts';
import { signinRoutes } from './signin.ts';

/**
 * The staff console: sign-in, the operator pages, their assets and JSON API. Returns the session
 * middleware, which the app mounts before every route so requireStaff also accepts the cookie.
 */
export function opsConsole(router: Router, deps: CoordinatorDeps) {
  const sealer = new SessionSealer(deps.settings.sessionSecret);
  const monitor = new OpsMonitor({
    store: deps.store,
    clock: deps.clock,
    thresholds: deps.settings.ops.alerts,
    pollMs: deps.settings.ops.streamPollMs,
    logger: deps.logger,
  });
  signinRoutes(router, deps, sealer);
  opsApiRoutes(router, deps, monitor);
  opsPageRoutes(router, deps, monitor);
  opsAssetRoutes(router);
  return staffSessions({ sealer, clock: deps.clock, publicUrl: deps.settings.publicUrl });
}
