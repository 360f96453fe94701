import type Router from '@koa/router';
import type { CoordinatorDeps } from '../deps.ts';
import { requireStaff } from '../http/auth.ts';
import { parseInput } from '../http/validate.ts';
import { credentialInput } from '../services/credentials.ts';
import type { Services } from '../services/index.ts';

/** Staff credentials: issue (the token is shown once), list, revoke. */
export function credentialRoutes(router: Router, deps: CoordinatorDeps, { credentials }: Services): void {
  const operator = requireStaff(deps.store, ['operator']);

  router.post('/api/credentials', operator, async (ctx) => {
    const body = await credentials.issue(parseInput(credentialInput, ctx.request.body));
    ctx.status = 201;
    ctx.set('cache-control', 'no-store');
    ctx.body = body;
  });

  router.get('/api/credentials', operator, async (ctx) => {
    ctx.body = await credentials.list();
  });

  router.post('/api/credentials/:credentialId/revoke', operator, async (ctx) => {
    ctx.body = await credentials.revoke(String(ctx.params.credentialId));
  });
}
