import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import pino from 'pino';
import { edgeConfigSchema } from '../edge-node/config.ts';
import { EdgeNode } from '../edge-node/edge-node.ts';
import { api, buyAndPay } from '../tools/venue-kit/http.ts';
import { waitFor } from './fixtures/feed-fixtures.ts';
import { neverSyncs, pairPrinter, startVenue } from './fixtures/venue-harness.ts';

test('three in-process edge nodes replicate an event, pull it from the cloud about once, and print a redeemed order', async (t) => {
  t.timeout(120_000);
  const venue = await startVenue(t, { images: 6 });
  const unique = venue.images.reduce((n, i) => n + i.bytes, 0);
  const nodes: EdgeNode[] = [];
  for (let i = 0; i < 3; i++) {
    const dataDir = join(venue.dir, `edge${i}`);
    await pairPrinter(venue.base, venue.operator, venue.venue.id, dataDir, `Printer ${i + 1}`);
    const config = edgeConfigSchema.parse({
      coordinatorUrl: venue.base,
      name: `Printer ${i + 1}`,
      dataDir,
      dhtBootstrap: venue.bootstrap,
      printer: { kind: 'file', dir: join(dataDir, 'prints') },
      schedule: { intervalMs: 1000 },
      statusPort: 0,
      reportIntervalMs: 1000,
      logLevel: 'silent',
    });
    const node = new EdgeNode(config, pino({ level: 'silent' }));
    nodes.push(node);
  }
  await Promise.all(nodes.map((n) => n.ready()));
  t.teardown(() => Promise.all(nodes.map((n) => n.close())));

  const allHeld = await waitFor(
    async () => {
      const reports = await Promise.all(nodes.map((n) => n.statusReport()));
      return reports.every((r) => {
        const e = (r.events as Array<{ imagesHeld: number }>)[0];
        return e !== undefined && e.imagesHeld === venue.images.length;
      });
    },
    60_000,
    250,
  );
  for (const n of nodes) t.log(JSON.stringify(await n.statusReport()));
  const cloud = nodes.reduce((n, node) => n + node.metrics.bytesFromCloud, 0);
  const lan = nodes.reduce((n, node) => n + node.metrics.bytesFromLan, 0);
  t.log(`unique ${unique} B, from cloud ${cloud} B (${(cloud / unique).toFixed(2)}×), from LAN ${lan} B`);
  t.true(allHeld, 'every printer holds every image');
  t.true(cloud <= 1.5 * unique, `cloud bytes ${cloud} ≤ 1.5 × unique ${unique}`);
  const served = nodes.reduce((n, node) => n + node.metrics.bytesToLan, 0);
  // Every byte a printer got from the LAN was served by a printer; served can exceed it by the
  // blocks sent twice when two peers answered the same request.
  t.log(`served on the LAN ${served} B = ${(served / lan).toFixed(2)}× received from it`);
  t.true(served >= 0.99 * lan, `bytes served on the LAN (${served}) cover the bytes received from it (${lan})`);

  const { token } = await buyAndPay(venue.base, venue.event.id, [
    { imageId: venue.images[0]!.id, copies: 2 },
    { imageId: venue.images[3]!.id, copies: 1 },
  ]);
  // The paid order reaches the printers through the venue's orders feed, and they render its photos
  // ahead once replication is quiet (pre-renderer.ts, issue #16), as the fan walks to one of them.
  t.true(
    await waitFor(async () => (await nodes[1]!.statusReport()).offline?.ordersKnown === 1, 30_000, 100),
    'the printer learnt of the paid order',
  );
  t.true(
    // Each report scans the holdings, which offers the paid photos to the pre-renderer.
    await waitFor(
      async () => (await nodes[1]!.statusReport()) && nodes[1]!.metrics.prerenderBacklogOf() === 0,
      30_000,
      100,
    ),
    'the printer rendered the paid photos ahead',
  );
  const result = await nodes[1]!.redeem(token);
  t.is(result.error, undefined);
  t.regex(
    await nodes[1]!.metrics.registry.metrics(),
    /^vpm_edge_prints_rendered_total\{when="ahead"\} 3$/m,
    'all three prints came from rasters rendered ahead',
  );
  t.deepEqual(
    result.units.map((u) => u.state),
    ['printed', 'printed', 'printed'],
  );
  const files = (await readdir(join(venue.dir, 'edge1', 'prints'))).filter((f) => f.endsWith('.escpos')).sort();
  t.is(files.length, 4, `three photos and a receipt: ${files.join(', ')}`);
  // Local photos print in order: the label ends with "<n>-<of>".
  t.deepEqual(
    files.slice(0, 3).map((f) => /-(\d)-3\.escpos$/.exec(f)?.[1]),
    ['1', '2', '3'],
  );
  t.regex(files[3]!, /receipt/);
});

test('a typed order code prints like a scanned one, keeps the order’s token for resume, and needs the network', async (t) => {
  t.timeout(90_000);
  const venue = await startVenue(t, { images: 1, imageSide: 600 });
  const dataDir = join(venue.dir, 'edge');
  await pairPrinter(venue.base, venue.operator, venue.venue.id, dataDir, 'Gate 1');
  const node = new EdgeNode(
    edgeConfigSchema.parse({
      coordinatorUrl: venue.base,
      name: 'Gate 1',
      dataDir,
      dhtBootstrap: venue.bootstrap,
      printer: { kind: 'file', dir: join(dataDir, 'prints') },
      schedule: neverSyncs(),
      statusPort: 0,
      logLevel: 'silent',
    }),
    pino({ level: 'silent' }),
  );
  await node.ready();
  t.teardown(() => node.close());
  const codeOf = async (orderId: string) =>
    (await api<{ order: { code: string; state: string } }>(venue.base, 'GET', `/api/orders/${orderId}`)).body.order;

  const { orderId, token } = await buyAndPay(venue.base, venue.event.id, [{ imageId: venue.images[0]!.id, copies: 2 }]);
  const code = (await codeOf(orderId)).code;
  // As a fan types it from the order page: small letters, a dash in the middle.
  const result = await node.redeem(`${code.slice(0, 4)}-${code.slice(4)}`.toLowerCase());
  t.is(result.error, undefined);
  t.is(result.orderId, orderId);
  t.deepEqual(
    result.units.map((u) => u.state),
    ['printed', 'printed'],
  );
  const files = (await readdir(join(dataDir, 'prints'))).filter((f) => f.endsWith('.escpos'));
  t.is(files.length, 3, `two photos and a receipt: ${files.join(', ')}`);
  const claimed = (await readFile(join(dataDir, 'jobs.log'), 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { t: string; orderId?: string; token?: string })
    .find((r) => r.t === 'claimed' && r.orderId === orderId);
  t.is(claimed?.token, token, 'the job log holds the QR code’s token, which a restart redeems with');
  t.true(
    await waitFor(async () => (await codeOf(orderId)).state === 'fulfilled', 15_000, 100),
    'every print was confirmed to the coordinator',
  );

  // No cloud: a typed code cannot be checked, and the kiosk asks for the QR code instead.
  const later = await buyAndPay(venue.base, venue.event.id, [{ imageId: venue.images[0]!.id, copies: 1 }]);
  const laterCode = (await codeOf(later.orderId)).code;
  await venue.coordinator.close();
  const refused = await fetch(`${node.localUrl}/kiosk/redeem`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ code: laterCode }),
  });
  const body = (await refused.json()) as { error: { code: string }; message: { title: string; text: string } };
  t.is(refused.status, 503);
  t.is(body.error.code, 'typed_code_needs_network');
  t.is(body.message.title, 'Scan the QR code');
  t.regex(body.message.text, /typed codes need the network right now/i);
});
