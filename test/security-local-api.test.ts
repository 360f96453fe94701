import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import test from 'ava';
import { loadEdgeConfig } from '../edge-node/config.ts';
import type { KioskDeps } from '../edge-node/kiosk/kiosk-routes.ts';
import { allowedHostNames, hostNameOf } from '../edge-node/status/host-guard.ts';
import { createLocalApi } from '../edge-node/status/local-api.ts';
import type { PrinterStatusReport } from '../shared/protocol/printer-api.ts';

/** A local API on a loopback port, with a scripted node that counts what it was asked to redeem. */
async function localApi(t: import('ava').ExecutionContext, hostNames: string[] = []) {
  const redeemed: string[] = [];
  const kiosk: KioskDeps = {
    async startRedeem(code) {
      redeemed.push(code);
      return { orderId: 'o', code, done: false, units: [] };
    },
    progress: () => null,
    watch: () => () => {},
    printer: async () => ({ state: 'ready', detail: 'scripted', checkedAt: 0 }),
    watchPrinter: () => () => {},
    localImage: async () => null,
    names: () => ({ venue: 'Arena', printer: 'Gate 3' }),
  };
  const app = createLocalApi({
    status: async () => ({ secret: 'venue-state' }) as unknown as PrinterStatusReport,
    metrics: async () => ({ contentType: 'text/plain', body: '' }),
    redeem: async (code) => {
      redeemed.push(code);
      return { orderId: 'o', code, done: true, units: [] };
    },
    progress: () => null,
    kiosk,
    hostNames,
  });
  const server = createServer(app.callback());
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', () => res()));
  t.teardown(() => new Promise<void>((res) => server.close(() => res())));
  const port = (server.address() as AddressInfo).port;
  /** A raw request: fetch() does not let a caller choose the Host header, curl and browsers do. */
  const call = (method: string, path: string, headers: Record<string, string>, body?: string) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, method, path, headers }, (res) => {
        let text = '';
        res.on('data', (d: Buffer) => {
          text += d.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on('error', reject);
      req.end(body);
    });
  return { port, call, redeemed };
}

test('Host names: ports and IPv6 brackets are stripped, malformed ones are rejected', (t) => {
  t.is(hostNameOf('127.0.0.1:8090'), '127.0.0.1');
  t.is(hostNameOf('LOCALHOST'), 'localhost');
  t.is(hostNameOf('[::1]:8090'), '::1');
  t.is(hostNameOf('evil.example:80'), 'evil.example');
  t.is(hostNameOf('a b'), null);
  t.is(hostNameOf('[::1'), null);
  t.deepEqual([...allowedHostNames(['0.0.0.0', 'kiosk.lan', 'fe80::2'])].sort(), [
    '127.0.0.1',
    '::1',
    'fe80::2',
    'kiosk.lan',
    'localhost',
  ]);
  t.deepEqual(
    loadEdgeConfig(
      {
        VPM_LOCAL_HOST_NAMES: 'kiosk.lan, monitor.lan',
        VPM_COORDINATOR_URL: 'http://127.0.0.1:8080',
        VPM_DHT_BOOTSTRAP: '127.0.0.1:49737',
      },
      [],
    ).localHostNames,
    ['kiosk.lan', 'monitor.lan'],
  );
});

test('the local API refuses a foreign Host (DNS rebinding): /status, the kiosk and redemption', async (t) => {
  const { port, call, redeemed } = await localApi(t);
  for (const path of ['/status', '/kiosk', '/kiosk/printer', '/metrics']) {
    const res = await call('GET', path, { host: 'evil.example' });
    t.is(res.status, 421, path);
    t.is(JSON.parse(res.body).error.code, 'host_not_allowed');
    t.false(res.body.includes('venue-state'));
  }
  const redeem = await call(
    'POST',
    '/kiosk/redeem',
    { host: `evil.example:${port}`, 'content-type': 'application/json' },
    '{"code":"ABCDEFGH"}',
  );
  t.is(redeem.status, 421);
  t.deepEqual(redeemed, []);
  for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]) {
    t.is((await call('GET', '/status', { host })).status, 200, host);
  }
});

test('configured host names are served; others are not', async (t) => {
  const { call } = await localApi(t, ['kiosk.lan']);
  t.is((await call('GET', '/status', { host: 'kiosk.lan:8090' })).status, 200);
  t.is((await call('GET', '/status', { host: 'other.lan' })).status, 421);
});

test('state-changing requests from another origin are refused; same origin and non-browser clients pass', async (t) => {
  const { port, call, redeemed } = await localApi(t);
  const host = `127.0.0.1:${port}`;
  const json = { host, 'content-type': 'application/json' };
  const body = '{"code":"ABCDEFGH"}';
  const foreign = await call('POST', '/kiosk/redeem', { ...json, origin: 'http://evil.example' }, body);
  t.is(foreign.status, 403);
  t.is(JSON.parse(foreign.body).error.code, 'cross_site_refused');
  const foreignPort = await call('POST', '/api/redeem', { ...json, origin: 'http://127.0.0.1:1' }, body);
  t.is(foreignPort.status, 403, 'another port on loopback is another origin');
  const crossSite = await call('POST', '/api/redeem', { ...json, 'sec-fetch-site': 'cross-site' }, body);
  t.is(crossSite.status, 403);
  t.deepEqual(redeemed, []);
  t.is((await call('POST', '/kiosk/redeem', { ...json, origin: `http://${host}` }, body)).status, 200);
  t.is((await call('POST', '/api/redeem', json, body)).status, 200, 'the redeem CLI sends no Origin');
  t.deepEqual(redeemed, ['ABCDEFGH', 'ABCDEFGH']);
});

test('the kiosk asset route answers prototype names with a 404, never an internal error', async (t) => {
  const { port, call } = await localApi(t);
  for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
    const res = await call('GET', `/kiosk/assets/${name}`, { host: `127.0.0.1:${port}` });
    t.is(res.status, 404, name);
    t.is(JSON.parse(res.body).error.code, 'asset_not_found');
  }
  t.is((await call('GET', '/kiosk/assets/kiosk.css', { host: `127.0.0.1:${port}` })).status, 200);
});

test('roll loaded: the operator route answers the printer report, names an unknown printer, and a node without photo printers says so', async (t) => {
  const { AppError } = await import('../shared/errors.ts');
  const loaded: string[] = [];
  const base = {
    status: async () => ({}) as unknown as PrinterStatusReport,
    metrics: async () => ({ contentType: 'text/plain', body: '' }),
    redeem: async () => ({ orderId: 'o', code: 'c', done: true, units: [] }),
    progress: () => null,
  };
  const withStation = createLocalApi({
    ...base,
    rollLoaded: async (name) => {
      if (name !== 'left')
        throw new AppError('station_printer_unknown', `This station has no photo printer "${name}".`);
      loaded.push(name);
      return { name, printsLeft: 400 };
    },
  });
  const serve = async (app: ReturnType<typeof createLocalApi>) => {
    const server = createServer(app.callback());
    await new Promise<void>((res) => server.listen(0, '127.0.0.1', () => res()));
    t.teardown(() => new Promise<void>((res) => server.close(() => res())));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  };
  const url = await serve(withStation);
  const ok = await fetch(`${url}/api/printers/left/roll-loaded`, { method: 'POST' });
  t.is(ok.status, 200);
  t.deepEqual(await ok.json(), { name: 'left', printsLeft: 400 });
  t.deepEqual(loaded, ['left']);
  const unknown = await fetch(`${url}/api/printers/middle/roll-loaded`, { method: 'POST' });
  t.is(unknown.status, 404);
  t.is(((await unknown.json()) as { error: { code: string } }).error.code, 'station_printer_unknown');
  const thermal = await serve(createLocalApi(base));
  const none = await fetch(`${thermal}/api/printers/left/roll-loaded`, { method: 'POST' });
  t.is(none.status, 404);
  t.regex(((await none.json()) as { error: { message: string } }).error.message, /no IPP photo printers/);
});
