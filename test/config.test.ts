import test from 'ava';
import { ConfigError, loadConfig } from '../coordinator/config.ts';

test('defaults give a one-machine coordinator on loopback', (t) => {
  const c = loadConfig({}, []);
  t.is(c.host, '127.0.0.1');
  t.is(c.port, 8080);
  t.is(c.mongodbUri, undefined);
  t.is(c.dhtHost, '127.0.0.1');
  t.is(c.claimTtlSeconds, 120);
  t.is(c.seederNetwork, 'reachable');
});

test('the seeder network: behind-nat from the environment or a flag; anything else is named in the error', (t) => {
  t.is(loadConfig({ VPM_SEEDER_NETWORK: 'behind-nat' }, []).seederNetwork, 'behind-nat');
  t.is(loadConfig({}, ['--seeder-network', 'behind-nat']).seederNetwork, 'behind-nat');
  t.throws(() => loadConfig({ VPM_SEEDER_NETWORK: 'public' }, []), {
    instanceOf: ConfigError,
    message: /VPM_SEEDER_NETWORK/,
  });
});

test('flags override the environment', (t) => {
  const c = loadConfig({ VPM_PORT: '9000', VPM_DHT_BOOTSTRAP: '127.0.0.1:4000,127.0.0.2:4001' }, ['--port', '9100']);
  t.is(c.port, 9100);
  t.deepEqual(c.dhtBootstrap, [
    { host: '127.0.0.1', port: 4000 },
    { host: '127.0.0.2', port: 4001 },
  ]);
});

test('bad values are named in the error', (t) => {
  const err = t.throws(() => loadConfig({ VPM_PORT: 'eighty', MONGODB_URI: 'postgres://x' }, []), {
    instanceOf: ConfigError,
  });
  t.regex(err!.message, /VPM_PORT/);
  t.regex(err!.message, /MONGODB_URI/);
  t.throws(() => loadConfig({}, ['--no-such-flag', 'x']), { instanceOf: ConfigError, message: /--port/ });
  t.throws(() => loadConfig({ VPM_DHT_BOOTSTRAP: 'nohost' }, []), {
    instanceOf: ConfigError,
    message: /VPM_DHT_BOOTSTRAP/,
  });
});

test('the orders-feed coalescing window: 1 s by default, up to a minute, in milliseconds', (t) => {
  t.is(loadConfig({}, []).ordersFeedCoalesceMs, 1_000);
  t.is(loadConfig({ VPM_ORDERS_FEED_COALESCE_MS: '0' }, []).ordersFeedCoalesceMs, 0);
  t.is(loadConfig({ VPM_ORDERS_FEED_COALESCE_MS: '20000' }, []).ordersFeedCoalesceMs, 20_000);
  for (const bad of ['-1', '60001', '1.5', 'soon'])
    t.throws(() => loadConfig({ VPM_ORDERS_FEED_COALESCE_MS: bad }, []), {
      instanceOf: ConfigError,
      message: /VPM_ORDERS_FEED_COALESCE_MS/,
    });
});
