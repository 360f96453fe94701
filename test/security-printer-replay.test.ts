import test from 'ava';
import {
  PRINTER_CLOCK_SKEW_MS,
  PRINTER_NONCE_HEADER,
  PrinterReplayGuard,
  signPrinterRequest,
  verifyPrinterRequest,
} from '../shared/protocol/printer-auth.ts';
import { createHarness, newPrinterKeys, seedVenue } from './fixtures/app-harness.ts';

test('a signed printer request is accepted once: a copy within the window is refused', async (t) => {
  const h = await createHarness();
  t.teardown(() => h.close());
  const { printers } = await seedVenue(h, { images: 0, printers: 1 });
  const headers = signPrinterRequest(printers[0]!.keyPair, 'get', '/api/printer/me', Buffer.alloc(0), h.clock.now());
  await h.http.get('/api/printer/me').set(headers).expect(200);
  const replay = await h.http.get('/api/printer/me').set(headers);
  t.is(replay.status, 401);
  t.is(replay.body.error.code, 'printer_auth_replayed');
  h.clock.advance(PRINTER_CLOCK_SKEW_MS + 1);
  t.is((await h.http.get('/api/printer/me').set(headers)).body.error.code, 'printer_auth_stale', 'then it is stale');
  // Each fresh signature passes.
  for (let i = 0; i < 3; i++) {
    const fresh = signPrinterRequest(printers[0]!.keyPair, 'get', '/api/printer/me', Buffer.alloc(0), h.clock.now());
    await h.http.get('/api/printer/me').set(fresh).expect(200);
  }
});

test('the nonce is signed: changing it breaks the signature; a printer without nonces is kept apart by its signature', (t) => {
  const { keyPair } = newPrinterKeys();
  const now = 1_700_000_000_000;
  const body = Buffer.from('{}');
  const signed = signPrinterRequest(keyPair, 'POST', '/api/printer/redeem', body, now);
  const ok = verifyPrinterRequest(signed, 'POST', '/api/printer/redeem', body, now);
  t.true(ok.ok);
  const swapped = { ...signed, [PRINTER_NONCE_HEADER]: 'a'.repeat(32) };
  t.deepEqual(verifyPrinterRequest(swapped, 'POST', '/api/printer/redeem', body, now), {
    ok: false,
    reason: 'bad_signature',
  });
  t.deepEqual(
    verifyPrinterRequest({ ...signed, [PRINTER_NONCE_HEADER]: 'nope' }, 'POST', '/api/printer/redeem', body, now),
    { ok: false, reason: 'malformed' },
  );

  const guard = new PrinterReplayGuard(3);
  if (!ok.ok) return;
  t.true(guard.firstUse(ok, now));
  t.false(guard.firstUse(ok, now + 1));
  // Full: expired entries go first, then the oldest; the guard never grows past its bound.
  for (let i = 0; i < 5; i++) {
    const other = verifyPrinterRequest(
      signPrinterRequest(keyPair, 'GET', '/x', Buffer.alloc(0), now + i),
      'GET',
      '/x',
      Buffer.alloc(0),
      now + i,
    );
    if (other.ok) t.true(guard.firstUse(other, now + i));
  }
  t.true(guard.size <= 3);
});
