import type Router from '@koa/router';
import { z } from 'zod';
import { AppError } from '../../shared/errors.ts';
import { randomId } from '../../shared/ports/random.ts';
import type { CoordinatorDeps } from '../deps.ts';
import { credentialIdOf, hashBearerToken, requireStaff } from '../http/auth.ts';
import { parseInput } from '../http/validate.ts';
import type { CredentialRecord } from '../store/records.ts';
import { credentialView } from '../views.ts';

const credentialInput = z
  .object({ role: z.enum(['photographer', 'operator']), name: z.string().trim().min(1).max(100) })
  .strict();

/** Operators hand out upload tokens to photographers (and tokens to other operators), and revoke them. */
export function credentialRoutes(router: Router, deps: CoordinatorDeps): void {
  const { store, clock, random } = deps;
  const operator = requireStaff(store, ['operator']);

  router.post('/api/credentials', operator, async (ctx) => {
    const input = parseInput(credentialInput, ctx.request.body);
    const token = `vpm_${input.role.slice(0, 2)}_${randomId(random, 24)}`;
    const credential: CredentialRecord = {
      tokenHash: hashBearerToken(token),
      role: input.role,
      name: input.name,
      createdAt: clock.now(),
      revokedAt: null,
    };
    await store.insertCredential(credential);
    ctx.status = 201;
    ctx.set('cache-control', 'no-store');
    // The only time the token is shown: the store keeps its hash.
    ctx.body = { token, role: input.role, name: input.name, credential: credentialView(credential) };
  });

  router.get('/api/credentials', operator, async (ctx) => {
    ctx.body = { credentials: (await store.listCredentials()).map(credentialView) };
  });

  router.post('/api/credentials/:credentialId/revoke', operator, async (ctx) => {
    const all = await store.listCredentials();
    const target = all.find((c) => credentialIdOf(c.tokenHash) === ctx.params.credentialId);
    if (!target) throw new AppError('credential_not_found', 'No credential with this id.');
    const activeOperators = all.filter((c) => c.role === 'operator' && c.revokedAt === null);
    if (target.revokedAt === null && target.role === 'operator' && activeOperators.length === 1) {
      // Nobody could sign in to issue a new one: the data-dir operator token is only created once.
      throw new AppError('last_operator', 'This is the last operator credential: create another operator token first.');
    }
    const revoked = await store.revokeCredential(target.tokenHash, clock.now());
    if (!revoked) throw new AppError('credential_not_found', 'No credential with this id.');
    ctx.body = { credential: credentialView(revoked) };
  });
}
