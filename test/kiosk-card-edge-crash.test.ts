import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import test from 'ava';
import { api } from '../tools/venue-kit/http.ts';
import { waitFor } from './fixtures/feed-fixtures.ts';
import { startVenue, startVenuePrinter } from './fixtures/venue-harness.ts';

const READER = 'tmr_crash';

interface SaleAnswer {
  sale: { id: string; state: string; orderId: string };
  progress: unknown;
}

/**
 * The real edge node killed with -9 between a card's authorisation, its printing and the capture:
 * the restarted node resumes the order from its job log, the coordinator captures only once every
 * print is out, once, and the receipt still carries the card lines.
 */
test('kill -9 of the edge node mid-print of a card sale: resumed, every print once, captured once, card receipt', async (t) => {
  t.timeout(180_000);
  const venue = await startVenue(t, { images: 2, imageSide: 600, taxRatePercent: 19 });
  const printer = await startVenuePrinter(t, venue, 'Printer C', { cardReaderId: READER });
  const prints = join(venue.dir, 'Printer C', 'prints');
  const gallery = async () =>
    ((await (await fetch(`${printer.url}/kiosk/shop/gallery`)).json()) as { total: number }).total;
  t.true(await waitFor(async () => (await gallery()) === 2, 30_000, 250), 'the printer holds both photos');

  const kiosk = (method: string, path: string, body?: unknown) =>
    fetch(`${printer.url}${path}`, {
      method,
      headers: body ? { 'content-type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : undefined,
    }).then(async (r) => ({ status: r.status, body: (await r.json()) as SaleAnswer }));
  const basket = {
    eventId: venue.event.id,
    items: [
      { imageId: venue.images[0]!.id, copies: 2 },
      { imageId: venue.images[1]!.id, copies: 2 },
    ],
    channel: 'kiosk-card',
    idempotencyKey: 'crash-basket-0001',
  };
  const created = await kiosk('POST', '/kiosk/shop/sales', basket);
  t.is(created.status, 200);
  const saleId = created.body.sale.id;
  // A double tap on Pay: the same sale.
  t.is((await kiosk('POST', '/kiosk/shop/sales', basket)).body.sale.id, saleId);

  const tap = await fetch(`${venue.base}/terminal/test/readers/${READER}/present`, {
    method: 'POST',
    body: new URLSearchParams({ outcome: 'approve' }),
    redirect: 'manual',
  });
  t.is(tap.status, 302);
  // The kiosk's poll sees the authorisation and starts printing here.
  t.true(
    await waitFor(async () => (await kiosk('GET', `/kiosk/shop/sales/${saleId}`)).body.progress !== null, 15_000, 200),
  );
  const photos = async () => (await readdir(prints)).filter((f) => f.endsWith('.escpos') && !f.includes('receipt'));
  t.true(await waitFor(async () => (await photos()).length >= 1, 30_000, 20), 'printing started');
  // Paper out mid-order, then kill -9: the sale is authorised and partly printed.
  await writeFile(join(prints, 'PAPER_OUT'), '');
  await printer.crash();
  const before = (await photos()).length;
  t.log(`${before} of 4 prints out before kill -9`);
  t.true(before < 4, 'killed mid-order');
  const sales = async () =>
    (
      await api<{ sales: Array<{ id: string; state: string }> }>(venue.base, 'GET', '/api/kiosk-sales', {
        token: venue.operator,
      })
    ).body.sales;
  t.not((await sales()).find((s) => s.id === saleId)?.state, 'captured', 'not captured while prints are missing');

  await rm(join(prints, 'PAPER_OUT'));
  await printer.restart();
  t.true(
    await waitFor(async () => (await sales()).find((s) => s.id === saleId)?.state === 'captured', 60_000, 250),
    'captured after the resumed prints came out',
  );
  // The simulated provider's books: the money moved once.
  const books = JSON.parse(await readFile(join(venue.dir, 'coordinator', 'test-card-terminal.json'), 'utf8')) as {
    payments: Record<string, { saleId: string; captureCount: number; capturedCents: number }>;
  };
  const payment = Object.values(books.payments).find((p) => p.saleId === saleId);
  t.is(payment?.captureCount, 1);
  t.is(payment?.capturedCents, 2000);
  const files = await photos();
  t.is(files.length, 4, `four photos, each once: ${files.join(', ')}`);
  const receipts = (await readdir(prints)).filter((f) => f.includes('receipt') && f.endsWith('.txt'));
  t.is(receipts.length, 1);
  const receipt = await readFile(join(prints, receipts[0]!), 'utf8');
  t.regex(receipt, /Paid by card\s+VISA \*\*\*\* 4242/);
  t.regex(receipt, /Auth\. code\s+[0-9A-F]{6}/);
  t.regex(receipt, /incl\. tax 19%/);
});
