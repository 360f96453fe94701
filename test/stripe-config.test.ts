import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import type pino from 'pino';
import { ConfigError, loadConfig } from '../coordinator/config.ts';
import { chooseCardTerminal, choosePaymentGateway } from '../coordinator/payment/choose-gateway.ts';
import { loadStripeProvider } from '../coordinator/payment/stripe-provider.ts';
import type { TestGatewayOptions } from '../coordinator/payment/test-gateway.ts';
import { ManualClock } from '../shared/ports/clock.ts';

const KEY = 'sk_test_51FixtureKeyForConfigTests000';
const WHSEC = 'whsec_fixtureSigningSecretForConfigTests0';

async function secretsDir(t: ExecutionContext) {
  const dir = await mkdtemp(join(tmpdir(), 'vpm-stripe-config-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const file = async (name: string, content: string, mode = 0o600) => {
    const path = join(dir, name);
    await writeFile(path, `${content}\n`, { mode });
    await chmod(path, mode);
    return path;
  };
  return { dir, file };
}

const noTestGateway = (): TestGatewayOptions => {
  throw new Error('the test gateway must not be built when stripe is chosen');
};

test('VPM_PAYMENT_GATEWAY=stripe without its secret files stops the start naming both settings', (t) => {
  const err = t.throws(() => loadConfig({ VPM_PAYMENT_GATEWAY: 'stripe' }, []), { instanceOf: ConfigError });
  t.regex(err.message, /VPM_STRIPE_SECRET_KEY_FILE and VPM_STRIPE_WEBHOOK_SECRET_FILE/);
  const bad = t.throws(() => loadConfig({ VPM_PAYMENT_GATEWAY: 'stripe', VPM_STRIPE_API_URL: 'not a url' }, []), {
    instanceOf: ConfigError,
  });
  t.regex(bad.message, /VPM_STRIPE_API_URL/);
  const ok = loadConfig(
    {
      VPM_PAYMENT_GATEWAY: 'stripe',
      VPM_STRIPE_SECRET_KEY_FILE: '/run/secrets/stripe-key',
      VPM_STRIPE_WEBHOOK_SECRET_FILE: '/run/secrets/stripe-whsec',
    },
    [],
  );
  t.is(ok.paymentGateway, 'stripe');
  t.is(ok.stripeSecretKeyFile, '/run/secrets/stripe-key');
  t.is(ok.stripeApiUrl, undefined);
});

test('secret files readable by other users are refused with the setting, the mode and the fix', async (t) => {
  const { file } = await secretsDir(t);
  const key = await file('key', KEY, 0o644);
  const whsec = await file('whsec', WHSEC);
  const err = await t.throwsAsync(loadStripeProvider({ stripeSecretKeyFile: key, stripeWebhookSecretFile: whsec }), {
    instanceOf: ConfigError,
  });
  t.regex(err.message, /^VPM_STRIPE_SECRET_KEY_FILE: .*\(mode 644\).*chmod 600/);
  const key600 = await file('key600', KEY);
  const groupReadable = await file('whsec640', WHSEC, 0o640);
  const err2 = await t.throwsAsync(
    loadStripeProvider({ stripeSecretKeyFile: key600, stripeWebhookSecretFile: groupReadable }),
    { instanceOf: ConfigError },
  );
  t.regex(err2.message, /^VPM_STRIPE_WEBHOOK_SECRET_FILE: .*\(mode 640\)/);
});

test('a missing file, swapped files and a live key sent to a test URL are refused, naming the setting', async (t) => {
  const { dir, file } = await secretsDir(t);
  const key = await file('key', KEY);
  const whsec = await file('whsec', WHSEC);
  const missing = await t.throwsAsync(
    loadStripeProvider({ stripeSecretKeyFile: join(dir, 'nope'), stripeWebhookSecretFile: whsec }),
  );
  t.regex(missing?.message ?? '', /^VPM_STRIPE_SECRET_KEY_FILE: .*does not exist/);
  const swapped = await t.throwsAsync(loadStripeProvider({ stripeSecretKeyFile: whsec, stripeWebhookSecretFile: key }));
  t.regex(swapped?.message ?? '', /^VPM_STRIPE_SECRET_KEY_FILE: .*does not hold a Stripe secret key/);
  const live = await file('live', 'sk_live_51RealMoneyKey0000000000');
  const toFixture = await t.throwsAsync(
    loadStripeProvider({
      stripeSecretKeyFile: live,
      stripeWebhookSecretFile: whsec,
      stripeApiUrl: 'http://127.0.0.1:9',
    }),
  );
  t.regex(toFixture?.message ?? '', /VPM_STRIPE_API_URL is for tests/);
  t.is((await t.throwsAsync(loadStripeProvider({ stripeSecretKeyFile: key })))?.constructor, ConfigError);
});

test('with good files, stripe is the gateway and the card terminal; without it there is no card terminal', async (t) => {
  const { file } = await secretsDir(t);
  const provider = await loadStripeProvider({
    stripeSecretKeyFile: await file('key', KEY),
    stripeWebhookSecretFile: await file('whsec', WHSEC),
    stripeApiUrl: 'http://127.0.0.1:9',
  });
  t.is(provider.webhookSecret, WHSEC, 'the trailing newline of the file is not part of the secret');
  t.is(provider.apiUrl, 'http://127.0.0.1:9');
  const warnings: string[] = [];
  const logger = { warn: (_o: object, msg: string) => warnings.push(msg) } as unknown as pino.Logger;
  const gateway = choosePaymentGateway('stripe', noTestGateway, logger, () => ({
    stripe: provider.client,
    webhookSecret: provider.webhookSecret,
    clock: new ManualClock(0),
  }));
  t.is(gateway.name, 'stripe');
  t.deepEqual(warnings, [], 'a real provider is not warned about');
  t.throws(() => choosePaymentGateway('stripe', noTestGateway, logger), { instanceOf: ConfigError });
  t.is(chooseCardTerminal('stripe', { stripe: () => ({ stripe: provider.client }) })?.name, 'stripe');
  t.is(chooseCardTerminal('none', {}), null);
});
