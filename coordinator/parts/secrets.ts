import { join } from 'node:path';
import type { Clock } from '../../shared/ports/clock.ts';
import type { Random } from '../../shared/ports/random.ts';
import type { CoordinatorConfig } from '../config.ts';
import { hashBearerToken } from '../http/auth.ts';
import { readOrCreateSecret } from '../secrets.ts';
import type { Store } from '../store/port.ts';
import { loadOrCreateKeyRing, type TokenKeyRing } from '../tokens/token-keys.ts';

export interface CoordinatorSecrets {
  webhookSecret: string;
  sessionSecret: string;
  tokenKeys: TokenKeyRing;
  /** Set when this start generated the operator token (shown once in the log). */
  generatedOperatorToken: string | null;
}

/**
 * The secrets a coordinator runs with: configured, or created once in the data dir and reused. The
 * operator token's credential is ensured in the store, so a fresh deployment can be signed into.
 */
export async function loadSecrets(
  config: CoordinatorConfig,
  dataDir: string,
  store: Store,
  random: Random,
  clock: Clock,
): Promise<CoordinatorSecrets> {
  let generatedOperatorToken: string | null = null;
  const operatorToken =
    config.operatorToken ?? (await readOrCreateSecret(join(dataDir, 'operator-token'), random)).value;
  if (!(await store.getCredential(hashBearerToken(operatorToken)))) {
    await store.insertCredential({
      tokenHash: hashBearerToken(operatorToken),
      role: 'operator',
      name: 'operator',
      createdAt: clock.now(),
      revokedAt: null,
    });
    if (!config.operatorToken) generatedOperatorToken = operatorToken;
  }
  const webhookSecret =
    config.paymentWebhookSecret ?? (await readOrCreateSecret(join(dataDir, 'payment-webhook-secret'), random)).value;
  // 32 random bytes: base64url gives 43 characters, above the minimum the sealer demands.
  const sessionSecret =
    config.sessionSecret ?? (await readOrCreateSecret(join(dataDir, 'session-secret'), random, 32)).value;
  const tokenKeys = await loadOrCreateKeyRing(config.tokenKeysFile ?? join(dataDir, 'token-keys.json'));
  return { webhookSecret, sessionSecret, tokenKeys, generatedOperatorToken };
}
