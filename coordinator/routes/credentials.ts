import type Router from '@koa/router';
import { z } from 'zod';
import { randomId } from '../../shared/ports/random.ts';
import type { CoordinatorDeps } from '../deps.ts';
import { hashBearerToken, requireStaff } from '../http/auth.ts';
import { parseInput } from '../http/validate.ts';

const credentialInput = z
  .object({ role: z.enum(['photographer', 'operator']), name: z.string().trim().min(1).max(100) })
  .strict();

/** Operators hand out upload tokens to photographers (and tokens to other operators). */
export function credentialRoutes(router: Router, deps: CoordinatorDeps): void {
  const { store, clock, random } = deps;
  router.post('/api/credentials', requireStaff(store, ['operator']), async (ctx) => {
    const input = parseInput(credentialInput, ctx.request.body);
    const token = `vpm_${input.role.slice(0, 2)}_${randomId(random, 24)}`;
    await store.insertCredential({
      tokenHash: hashBearerToken(token),
      role: input.role,
      name: input.name,
      createdAt: clock.now(),
      revokedAt: null,
    });
    ctx.status = 201;
    // The only time the token is shown: the store keeps its hash.
    ctx.body = { token, role: input.role, name: input.name };
  });
}
