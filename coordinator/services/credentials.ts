import { z } from 'zod';
import { AppError } from '../../shared/errors.ts';
import { randomId } from '../../shared/ports/random.ts';
import type { CoordinatorDeps } from '../deps.ts';
import { credentialIdOf, hashBearerToken } from '../http/auth.ts';
import type { CredentialRecord } from '../store/records.ts';
import { credentialView } from './projections.ts';

export const credentialInput = z
  .object({ role: z.enum(['photographer', 'operator']), name: z.string().trim().min(1).max(100) })
  .strict();

/** Operators hand out upload tokens to photographers (and tokens to other operators), and revoke them. */
export class CredentialService {
  readonly #deps: Pick<CoordinatorDeps, 'store' | 'clock' | 'random'>;

  constructor(deps: Pick<CoordinatorDeps, 'store' | 'clock' | 'random'>) {
    this.#deps = deps;
  }

  async issue(input: z.infer<typeof credentialInput>) {
    const { store, clock, random } = this.#deps;
    const token = `vpm_${input.role.slice(0, 2)}_${randomId(random, 24)}`;
    const credential: CredentialRecord = {
      tokenHash: hashBearerToken(token),
      role: input.role,
      name: input.name,
      createdAt: clock.now(),
      revokedAt: null,
    };
    await store.insertCredential(credential);
    // The only time the token is shown: the store keeps its hash.
    return { token, role: input.role, name: input.name, credential: credentialView(credential) };
  }

  async list() {
    return { credentials: (await this.#deps.store.listCredentials()).map(credentialView) };
  }

  async revoke(credentialId: string) {
    const { store, clock } = this.#deps;
    const all = await store.listCredentials();
    const target = all.find((c) => credentialIdOf(c.tokenHash) === credentialId);
    if (!target) throw new AppError('credential_not_found', 'No credential with this id.');
    const activeOperators = all.filter((c) => c.role === 'operator' && c.revokedAt === null);
    if (target.revokedAt === null && target.role === 'operator' && activeOperators.length === 1) {
      // Nobody could sign in to issue a new one: the data-dir operator token is only created once.
      throw new AppError('last_operator', 'This is the last operator credential: create another operator token first.');
    }
    const revoked = await store.revokeCredential(target.tokenHash, clock.now());
    if (!revoked) throw new AppError('credential_not_found', 'No credential with this id.');
    return { credential: credentialView(revoked) };
  }
}
