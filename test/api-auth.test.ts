import test from 'ava';
import { asOperator, asPhotographer, createHarness, printerCall, seedVenue } from './fixtures/app-harness.ts';

/**
 * Every staff and printer route, tried with no credentials and with the wrong role. Fans have no
 * credentials at all, so "no credentials" is also "a fan".
 */
test('each protected route refuses no credentials (401) and the wrong role (403)', async (t) => {
  const h = await createHarness();
  t.teardown(() => h.close());
  const { venue, event, printers } = await seedVenue(h, { images: 1, printers: 1 });
  const printer = printers[0]!;
  const operatorOnly: Array<[method: 'get' | 'post', path: string, body?: object]> = [
    ['post', '/api/venues', { name: 'x' }],
    ['get', '/api/venues'],
    ['post', '/api/events', { venueId: venue.id }],
    ['post', '/api/credentials', { role: 'photographer', name: 'p' }],
    ['post', `/api/venues/${venue.id}/printers`, { publicKey: 'a'.repeat(64), name: 'n' }],
    ['get', '/api/printers'],
    ['post', `/api/printers/${printer.id}/revoke`],
    ['post', '/api/orders/whatever/release'],
    ['get', `/api/events/${event.id}/delivery`],
    ['get', '/api/printers/status'],
  ];
  for (const [method, path, body] of operatorOnly) {
    const anon = await h.http[method](path).send(body);
    t.is(anon.status, 401, `${method} ${path} without credentials`);
    const photographer = await h.http[method](path).set(asPhotographer).send(body);
    t.is(photographer.status, 403, `${method} ${path} as photographer`);
    const bogus = await h.http[method](path).set({ authorization: 'Bearer not-a-real-token' }).send(body);
    t.is(bogus.status, 401, `${method} ${path} with an unknown token`);
    // A printer's signature is not a staff credential.
    t.is((await printerCall(h, printer, method, path, body)).status, 401, `${method} ${path} as printer`);
  }

  const staffUpload = `/api/events/${event.id}/images`;
  t.is((await h.http.post(staffUpload).attach('image', Buffer.from('x'), 'a.jpg')).status, 401);
  t.is((await printerCall(h, printer, 'post', staffUpload, {})).status, 401);

  const printerOnly: Array<[method: 'get' | 'post' | 'put', path: string, body?: object]> = [
    ['get', '/api/printer/me'],
    ['post', '/api/printer/redeem', { token: 'X' }],
    ['put', '/api/printer/holdings', { eventId: event.id, imageIds: [] }],
    ['post', '/api/printer/orders/x/units/0/printed'],
    ['put', '/api/printer/status', {}],
  ];
  for (const [method, path, body] of printerOnly) {
    t.is((await h.http[method](path).send(body)).status, 401, `${method} ${path} without signature`);
    t.is((await h.http[method](path).set(asOperator).send(body)).status, 401, `${method} ${path} as operator`);
  }

  // A photographer token issued by an operator uploads but cannot administer.
  const issued = await h.http
    .post('/api/credentials')
    .set(asOperator)
    .send({ role: 'photographer', name: 'Sam' })
    .expect(201);
  t.regex(issued.body.token, /^vpm_ph_/);
  const sam = { authorization: `Bearer ${issued.body.token}` };
  t.is((await h.http.get('/api/venues').set(sam)).status, 403);
});

test('fans can browse public routes without credentials', async (t) => {
  const h = await createHarness();
  t.teardown(() => h.close());
  const { event, images } = await seedVenue(h, { images: 1, printers: 0 });
  await h.http.get('/api/events').expect(200);
  await h.http.get(`/api/events/${event.id}`).expect(200);
  const list = await h.http.get(`/api/events/${event.id}/images`).expect(200);
  t.is(list.body.images.length, 1);
  const thumb = await h.http.get(list.body.images[0].thumbnailUrl).expect(200).expect('content-type', 'image/jpeg');
  t.true(thumb.body.length > 100);
  await h.http.get(`/media/images/${images[0]!.id}/preview.jpg`).expect(200);
  t.is(
    (await h.http.get(`/media/images/${images[0]!.id}/master.jpg`)).status,
    404,
    'print masters are never served to fans',
  );
  t.is((await h.http.get('/api/nothing-here')).body.error.code, 'route_not_found');
});
