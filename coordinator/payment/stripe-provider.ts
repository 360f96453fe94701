import { readFile, stat } from 'node:fs/promises';
import type Stripe from 'stripe';
import { ConfigError } from '../../shared/config/config-error.ts';
import { createStripeClient } from './stripe-client.ts';

/** Group and other permission bits: a secret file with any of them set is readable by other users. */
const OPEN_BITS = 0o077;
/** Anything bigger is not a key file (a pasted log, the wrong path). */
const MAX_SECRET_FILE_BYTES = 4096;
const SECRET_KEY_PATTERN = /^(sk|rk)_(test|live)_\w{8,}$/;
const WEBHOOK_SECRET_PATTERN = /^whsec_[\w+/=-]{8,}$/;

export interface StripeSettings {
  stripeSecretKeyFile?: string | undefined;
  stripeWebhookSecretFile?: string | undefined;
  stripeApiUrl?: string | undefined;
}

/** The SDK client and the webhook signing secret, shared by the Checkout gateway and the card terminal. */
export interface StripeProvider {
  client: Stripe;
  webhookSecret: string;
  /** Set when VPM_STRIPE_API_URL points the SDK elsewhere (the test fixture server). */
  apiUrl: string | null;
}

/**
 * Reads the Stripe secrets from their files (0600, as sshd demands of private keys: a key readable by
 * other local users is refused, not fixed, because it may have leaked already) and builds the SDK.
 * Every refusal is a ConfigError naming the setting to fix.
 */
export async function loadStripeProvider(settings: StripeSettings): Promise<StripeProvider> {
  if (!settings.stripeSecretKeyFile || !settings.stripeWebhookSecretFile) {
    const missing = [
      settings.stripeSecretKeyFile ? null : 'VPM_STRIPE_SECRET_KEY_FILE',
      settings.stripeWebhookSecretFile ? null : 'VPM_STRIPE_WEBHOOK_SECRET_FILE',
    ].filter(Boolean);
    throw new ConfigError(
      `VPM_PAYMENT_GATEWAY=stripe needs ${missing.join(' and ')} (a file with the secret, mode 600).`,
    );
  }
  const secretKey = await readSecretFile(
    settings.stripeSecretKeyFile,
    'VPM_STRIPE_SECRET_KEY_FILE',
    SECRET_KEY_PATTERN,
    'a Stripe secret key (sk_live_…, sk_test_… or a restricted rk_… key)',
  );
  const webhookSecret = await readSecretFile(
    settings.stripeWebhookSecretFile,
    'VPM_STRIPE_WEBHOOK_SECRET_FILE',
    WEBHOOK_SECRET_PATTERN,
    "a webhook signing secret (whsec_…, on the webhook endpoint's page in the Stripe dashboard)",
  );
  const apiUrl = settings.stripeApiUrl ?? null;
  if (apiUrl && /^(sk|rk)_live_/.test(secretKey)) {
    // A live key goes to Stripe and nowhere else: the override exists for the test fixture server.
    throw new ConfigError('VPM_STRIPE_API_URL is for tests: unset it, or use a test key (sk_test_…) with it.');
  }
  return { client: createStripeClient({ secretKey, apiUrl: apiUrl ?? undefined }), webhookSecret, apiUrl };
}

async function readSecretFile(path: string, setting: string, pattern: RegExp, what: string): Promise<string> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ConfigError(`${setting}: ${path} does not exist.`, { setting });
    if (code === 'EACCES') throw new ConfigError(`${setting}: ${path} cannot be read by this user.`, { setting });
    throw err;
  }
  if (!info.isFile() || info.size > MAX_SECRET_FILE_BYTES) {
    throw new ConfigError(`${setting}: ${path} is not a small file holding ${what}.`, { setting });
  }
  const mode = info.mode & 0o777;
  if ((mode & OPEN_BITS) !== 0) {
    throw new ConfigError(
      `${setting}: ${path} is readable by other users (mode ${mode.toString(8)}); run "chmod 600 ${path}" (and rotate the secret if others could have read it).`,
      { setting, mode: mode.toString(8) },
    );
  }
  const value = (await readFile(path, 'utf8')).trim();
  if (!pattern.test(value)) throw new ConfigError(`${setting}: ${path} does not hold ${what}.`, { setting });
  return value;
}
