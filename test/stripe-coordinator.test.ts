import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import pino from 'pino';
import { ConfigError, loadConfig } from '../coordinator/config.ts';
import { Coordinator } from '../coordinator/coordinator.ts';
import { startBootstrap, tempDir } from './fixtures/feed-fixtures.ts';
import { StripeFixtureServer } from './fixtures/stripe-fixture-server.ts';

/**
 * The composition root with VPM_PAYMENT_GATEWAY=stripe, configured the way an operator does it
 * (environment variables naming 0600 secret files), pointed at the fixture server: webhooks are
 * verified with Stripe's scheme on the coordinator's own endpoint, and the card terminal reaches the
 * readers through the same SDK client.
 */
test('a coordinator configured for Stripe verifies Stripe webhooks and drives Stripe Terminal readers', async (t) => {
  const dir = await tempDir(t, 'vpm-stripe-coord-');
  const bootstrap = await startBootstrap(t);
  const fixture = new StripeFixtureServer();
  const apiUrl = await fixture.listen();
  t.teardown(() => fixture.close());
  const readerId = fixture.addReader({ label: 'Gate 3 kiosk', status: 'online' });
  const keyFile = join(dir, 'stripe-key');
  const whsecFile = join(dir, 'stripe-whsec');
  await writeFile(keyFile, `${fixture.secretKey}\n`, { mode: 0o600 });
  await writeFile(whsecFile, `${fixture.webhookSecret}\n`, { mode: 0o600 });
  const env = {
    VPM_PORT: '0',
    VPM_DATA_DIR: join(dir, 'coordinator'),
    VPM_DHT_BOOTSTRAP: bootstrap.map((b) => `${b.host}:${b.port}`).join(','),
    VPM_PAYMENT_GATEWAY: 'stripe',
    VPM_STRIPE_SECRET_KEY_FILE: keyFile,
    VPM_STRIPE_WEBHOOK_SECRET_FILE: whsecFile,
    VPM_STRIPE_API_URL: apiUrl,
    VPM_LOG_LEVEL: 'silent',
  };
  const coordinator = new Coordinator(loadConfig(env, []), pino({ level: 'silent' }));
  t.teardown(() => coordinator.close());
  await coordinator.ready();

  const webhook = `${coordinator.url}/api/payments/webhook`;
  const event = JSON.stringify({
    id: 'evt_unrelated',
    object: 'event',
    type: 'customer.created',
    created: 1,
    data: { object: { id: 'cus_1', object: 'customer' } },
  });
  const signed = await fetch(webhook, {
    method: 'POST',
    body: event,
    headers: { 'content-type': 'application/json', 'stripe-signature': fixture.signatureHeader(event) },
  });
  t.is(signed.status, 200, 'a Stripe-signed event is acknowledged');
  t.like(await signed.json(), { error: { code: 'webhook_ignored' } });
  const forged = await fetch(webhook, {
    method: 'POST',
    body: event,
    headers: {
      'content-type': 'application/json',
      'stripe-signature': fixture.signatureHeader(event, undefined, 'whsec_not_the_endpoint_secret_000000'),
    },
  });
  t.is(forged.status, 401);
  await forged.arrayBuffer();

  t.is(coordinator.cardTerminal?.name, 'stripe');
  t.deepEqual(await coordinator.cardTerminal?.reader(readerId), { readerId, status: 'online', label: 'Gate 3 kiosk' });
});

test('a Stripe key file readable by others stops the coordinator before it listens, naming the setting', async (t) => {
  const dir = await tempDir(t, 'vpm-stripe-coord-');
  const keyFile = join(dir, 'stripe-key');
  const whsecFile = join(dir, 'stripe-whsec');
  await writeFile(keyFile, 'sk_test_51SomeTestKey000000000\n', { mode: 0o644 });
  await writeFile(whsecFile, 'whsec_someSigningSecret00000000\n', { mode: 0o600 });
  const config = loadConfig(
    {
      VPM_PORT: '0',
      VPM_DATA_DIR: join(dir, 'coordinator'),
      VPM_DHT_BOOTSTRAP: '127.0.0.1:9',
      VPM_PAYMENT_GATEWAY: 'stripe',
      VPM_STRIPE_SECRET_KEY_FILE: keyFile,
      VPM_STRIPE_WEBHOOK_SECRET_FILE: whsecFile,
    },
    [],
  );
  const coordinator = new Coordinator(config, pino({ level: 'silent' }));
  const err = await t.throwsAsync(coordinator.ready(), { instanceOf: ConfigError });
  t.regex(err.message, /^VPM_STRIPE_SECRET_KEY_FILE: .*\(mode 644\)/);
  t.is(coordinator.url, '', 'nothing listens');
  t.true(coordinator.closed, 'the failed start closed what it had opened');
});
