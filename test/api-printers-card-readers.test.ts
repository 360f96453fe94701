import test from 'ava';
import { asOperator, asPhotographer, createHarness, newPrinterKeys, seedVenue } from './fixtures/app-harness.ts';
import { SAME_ORIGIN, signIn } from './fixtures/staff-session.ts';

/**
 * Operators assign each printer's station its card reader (issue #13): at pairing, or later with
 * PUT /api/printers/:id/card-reader. One reader belongs to at most one printer. Who may call these
 * routes is in test/authz.test.ts; what a kiosk may do with (or without) a reader is in
 * test/kiosk-sales-api.test.ts.
 */

async function setup(t: import('ava').ExecutionContext) {
  const h = await createHarness({ kiosk: true });
  t.teardown(() => h.close());
  const site = await seedVenue(h, { images: 1, printers: 2 });
  const put = (printerId: string, cardReaderId: unknown) =>
    h.http.put(`/api/printers/${printerId}/card-reader`).set(asOperator).send({ cardReaderId });
  return { h, ...site, put };
}

test('pairing with a card reader assigns it; a reader another printer has is refused 409 naming that printer', async (t) => {
  const { h, venue, printers } = await setup(t);
  const a = newPrinterKeys();
  const paired = await h.http
    .post(`/api/venues/${venue.id}/printers`)
    .set(asOperator)
    .send({ publicKey: a.id, name: 'Gate A', cardReaderId: 'tmr_gate_a' })
    .expect(201);
  t.is(paired.body.printer.cardReaderId, 'tmr_gate_a');

  const b = newPrinterKeys();
  const taken = await h.http
    .post(`/api/venues/${venue.id}/printers`)
    .set(asOperator)
    .send({ publicKey: b.id, name: 'Gate B', cardReaderId: 'tmr_gate_a' })
    .expect(409);
  t.is(taken.body.error.code, 'card_reader_taken');
  t.regex(taken.body.error.message, /assigned to printer "Gate A" already; unassign it there first/);
  const list = (await h.http.get('/api/printers').set(asOperator).expect(200)).body.printers as Array<{
    id: string;
    cardReaderId?: string;
  }>;
  t.false(
    list.some((p) => p.id === b.id),
    'the refused pairing stored no printer',
  );
  t.is(list.find((p) => p.id === a.id)?.cardReaderId, 'tmr_gate_a');
  t.is(list.find((p) => p.id === printers[0]!.id)?.cardReaderId, undefined, 'a printer without a reader shows none');

  // Pairing the same key again is still "already paired", not a reader conflict.
  const again = await h.http
    .post(`/api/venues/${venue.id}/printers`)
    .set(asOperator)
    .send({ publicKey: a.id, name: 'Gate A', cardReaderId: 'tmr_gate_a' })
    .expect(409);
  t.is(again.body.error.code, 'printer_already_paired');
});

test('PUT card-reader assigns, moves and removes; one reader on one printer; bad input 400, unknown printer 404', async (t) => {
  const { printers, put } = await setup(t);
  const [p1, p2] = [printers[0]!, printers[1]!];
  t.is((await put(p1.id, 'tmr_1').expect(200)).body.printer.cardReaderId, 'tmr_1');
  t.is((await put(p1.id, 'tmr_1').expect(200)).body.printer.cardReaderId, 'tmr_1', 'the same again is fine');

  const second = await put(p2.id, 'tmr_1').expect(409);
  t.is(second.body.error.code, 'card_reader_taken');
  t.regex(second.body.error.message, /"Printer 1"/);
  t.is(second.body.error.details.printerId, p1.id);

  // Moving a reader: off the first printer, then onto the second.
  t.is((await put(p1.id, null).expect(200)).body.printer.cardReaderId, undefined);
  t.is((await put(p2.id, 'tmr_1').expect(200)).body.printer.cardReaderId, 'tmr_1');

  for (const bad of ['', '   ', 'x'.repeat(101), 'tmr 1', 'tmr_1<script>', 42]) {
    const res = await put(p1.id, bad);
    t.is(res.status, 400, JSON.stringify(bad));
    t.is(res.body.error.code, 'invalid_input');
  }
  const missing = await put(p1.id, undefined);
  t.is(missing.status, 400, 'the field is required (null removes the reader)');
  t.is((await put('f'.repeat(64), 'tmr_9')).status, 404);
});

test('revoking a printer frees its reader for the replacement; a revoked printer gets no reader', async (t) => {
  const { h, venue, printers, put } = await setup(t);
  await put(printers[0]!.id, 'tmr_station').expect(200);
  await h.http.post(`/api/printers/${printers[0]!.id}/revoke`).set(asOperator).expect(200);
  const refused = await put(printers[0]!.id, 'tmr_other').expect(403);
  t.is(refused.body.error.code, 'printer_revoked');
  const replacement = newPrinterKeys();
  const paired = await h.http
    .post(`/api/venues/${venue.id}/printers`)
    .set(asOperator)
    .send({ publicKey: replacement.id, name: 'Replacement', cardReaderId: 'tmr_station' })
    .expect(201);
  t.is(paired.body.printer.cardReaderId, 'tmr_station');
});

test('the console shows each printer its reader and changes it through the same API (signed-in operator)', async (t) => {
  const { h, printers, put } = await setup(t);
  await put(printers[0]!.id, 'tmr_console').expect(200);
  const { cookie } = await signIn(h, 'operator-token-for-tests-0123456789');
  const page = await h.http.get('/ops/printers').set('cookie', cookie).expect(200);
  t.regex(page.text, /<th scope="col">Card reader<\/th>/);
  t.regex(page.text, new RegExp(`data-card-reader-form="${printers[0]!.id}"[\\s\\S]*?value="tmr_console"`));
  t.regex(page.text, /<input id="pair-reader" name="cardReaderId"/);
  // What printers.js sends from the page: the session cookie, same origin.
  const moved = await h.http
    .put(`/api/printers/${printers[1]!.id}/card-reader`)
    .set('cookie', cookie)
    .set(SAME_ORIGIN)
    .send({ cardReaderId: 'tmr_console_2' })
    .expect(200);
  t.is(moved.body.printer.cardReaderId, 'tmr_console_2');
  // The dashboard's stations show the assigned readers.
  const stations = await h.http.get('/ops/kiosk-stations').set('cookie', cookie).expect(200);
  t.regex(stations.text, /tmr_console_2/);
  // Photographers cannot assign readers.
  const photographer = await h.http
    .put(`/api/printers/${printers[1]!.id}/card-reader`)
    .set(asPhotographer)
    .send({ cardReaderId: 'tmr_x' });
  t.is(photographer.status, 403);
});
