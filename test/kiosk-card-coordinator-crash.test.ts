import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import { api } from '../tools/venue-kit/http.ts';
import { waitFor } from './fixtures/feed-fixtures.ts';
import { startProcessVenue, startVenuePrinter } from './fixtures/venue-harness.ts';

const READER = 'tmr_coord_crash';

interface SaleAnswer {
  sale?: { id: string; state: string };
  progress?: unknown;
  error?: { code: string };
}

/**
 * The real coordinator process killed with -9 twice in a card sale: right after the card was
 * authorised (before anyone acted on it) and again once printing began (before the capture). The
 * restarted coordinator finds the authorisation at the provider, the kiosk prints, and the money is
 * captured once, after the prints.
 */
test('kill -9 of the coordinator after authorisation and again once printing began: printed once, captured once', async (t) => {
  t.timeout(240_000);
  const venue = await startProcessVenue(t, { images: 2, imageSide: 600, env: { VPM_CARD_TERMINAL: 'test' } });
  let coordinator = venue.coordinator;
  const printer = await startVenuePrinter(t, venue, 'Printer D', { cardReaderId: READER });
  const prints = join(venue.dir, 'Printer D', 'prints');
  const kiosk = async (method: string, path: string, body?: unknown) => {
    const r = await fetch(`${printer.url}${path}`, {
      method,
      headers: body ? { 'content-type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: r.status, body: (await r.json()) as SaleAnswer };
  };
  const gallery = async () =>
    ((await (await fetch(`${printer.url}/kiosk/shop/gallery`)).json()) as { total: number }).total;
  t.true(await waitFor(async () => (await gallery()) === 2, 60_000, 250), 'the printer holds both photos');

  const created = await kiosk('POST', '/kiosk/shop/sales', {
    eventId: venue.event.id,
    items: [{ imageId: venue.images[0]!.id, copies: 2 }],
    channel: 'kiosk-card',
    idempotencyKey: 'coordinator-crash-0001',
  });
  t.is(created.status, 200);
  const saleId = created.body.sale!.id;
  const tap = await fetch(`${venue.base}/terminal/test/readers/${READER}/present`, {
    method: 'POST',
    body: new URLSearchParams({ outcome: 'approve' }),
    redirect: 'manual',
  });
  t.is(tap.status, 302);
  // Authorised at the provider; the coordinator dies before it recorded anything about it.
  await coordinator.crash();
  const down = await kiosk('GET', `/kiosk/shop/sales/${saleId}`);
  t.is(down.body.error?.code, 'payment_needs_network', 'the kiosk says payment needs the network');
  coordinator = await coordinator.restart();

  // The kiosk's next poll learns of the authorisation and printing starts; the coordinator dies again.
  t.true(
    await waitFor(async () => (await kiosk('GET', `/kiosk/shop/sales/${saleId}`)).body.progress != null, 30_000, 200),
  );
  await coordinator.crash();
  const atCrash = JSON.parse(await readFile(join(venue.dir, 'coordinator', 'test-card-terminal.json'), 'utf8')) as {
    payments: Record<string, { saleId: string; status: string }>;
  };
  t.log(`second kill -9 with the payment ${Object.values(atCrash.payments).find((p) => p.saleId === saleId)?.status}`);
  coordinator = await coordinator.restart();

  const sales = async () =>
    (
      await api<{ sales: Array<{ id: string; state: string }> }>(venue.base, 'GET', '/api/kiosk-sales', {
        token: venue.operator,
      })
    ).body.sales;
  t.true(
    await waitFor(async () => (await sales()).find((s) => s.id === saleId)?.state === 'captured', 60_000, 250),
    'captured once the prints came out',
  );
  const books = JSON.parse(await readFile(join(venue.dir, 'coordinator', 'test-card-terminal.json'), 'utf8')) as {
    payments: Record<string, { saleId: string; captureCount: number; capturedCents: number }>;
  };
  const payment = Object.values(books.payments).find((p) => p.saleId === saleId);
  t.is(payment?.captureCount, 1);
  const photos = (await readdir(prints)).filter((f) => f.endsWith('.escpos') && !f.includes('receipt'));
  t.is(photos.length, 2, `two photos, each once: ${photos.join(', ')}`);
});
