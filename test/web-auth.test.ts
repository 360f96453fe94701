import test from 'ava';
import { createApp } from '../coordinator/app.ts';
import { credentialIdOf, hashBearerToken, isSameOriginRequest } from '../coordinator/http/auth.ts';
import { SESSION_COOKIE, SESSION_TTL_MS, SessionSealer } from '../coordinator/http/session-cookie.ts';
import { nextAfterSignin } from '../coordinator/web/ops/signin.ts';
import {
  asOperator,
  createHarness,
  type Harness,
  OPERATOR_TOKEN,
  PHOTOGRAPHER_TOKEN,
  SESSION_SECRET,
  sampleJpeg,
  seedVenue,
} from './fixtures/app-harness.ts';
import { routesOf } from './fixtures/route-table.ts';
import { SAME_ORIGIN, sessionCookieFrom, signIn } from './fixtures/staff-session.ts';

async function harness(t: { teardown(fn: () => Promise<void>): void }): Promise<Harness> {
  const h = await createHarness();
  t.teardown(() => h.close());
  return h;
}

/** Every GET page under /ops (from the router itself, so a page added later is covered too). */
function opsPages(h: Harness, eventId: string): string[] {
  return routesOf(createApp(h.deps))
    .filter((r) => r.method === 'GET' && /^\/ops(\/|$)/.test(r.path) && !r.path.startsWith('/ops/assets'))
    .map((r) => r.path.replace(':eventId', eventId));
}

test('sign-in sets a sealed HttpOnly, SameSite=Strict, Path=/ cookie; Secure only over https', async (t) => {
  const h = await harness(t);
  const page = await h.http.get('/signin?next=/ops/printers').expect(200);
  t.regex(String(page.headers['content-security-policy']), /script-src 'self'/);
  t.regex(page.text, /<input[^>]+name="token"[^>]+type="password"/);
  t.regex(page.text, /name="next" value="\/ops\/printers"/);

  const res = await h.http
    .post('/signin')
    .set(SAME_ORIGIN)
    .type('form')
    .send({ token: OPERATOR_TOKEN, name: 'Olga at desk 2', next: '/ops/printers' })
    .expect(303);
  t.is(res.headers.location, '/ops/printers');
  const setCookie = (res.headers['set-cookie'] as unknown as string[])[0]!;
  t.regex(setCookie, new RegExp(`^${SESSION_COOKIE}=v1\\.`));
  for (const flag of ['HttpOnly', 'SameSite=Strict', 'Path=/', `Max-Age=${SESSION_TTL_MS / 1000}`]) {
    t.true(setCookie.split('; ').includes(flag), `cookie has ${flag}`);
  }
  t.false(setCookie.includes('Secure'), 'plain http: a Secure cookie would never come back');
  t.false(setCookie.includes(hashBearerToken(OPERATOR_TOKEN)), 'the token hash is sealed, not readable');

  const https = await h.http
    .post('/signin')
    .set({ ...SAME_ORIGIN, 'x-forwarded-proto': 'https' })
    .type('form')
    .send({ token: OPERATOR_TOKEN })
    .expect(303);
  t.true((https.headers['set-cookie'] as unknown as string[])[0]!.split('; ').includes('Secure'));

  const cookie = sessionCookieFrom(res.headers['set-cookie'])!;
  const dashboard = await h.http.get('/ops').set('cookie', cookie).expect(200);
  t.regex(dashboard.text, /Olga at desk 2 \(Olga Operator\)/, 'the header names who signed in');
  await h.http.get('/api/printers/status').set('cookie', cookie).expect(200);
});

test('a wrong token, or a sign-in posted from another site, sets no cookie', async (t) => {
  const h = await harness(t);
  const wrong = await h.http.post('/signin').set(SAME_ORIGIN).type('form').send({ token: 'nope-nope-nope' });
  t.is(wrong.status, 401);
  t.regex(wrong.text, /unknown or was revoked/);
  t.is(sessionCookieFrom(wrong.headers['set-cookie']), null);

  for (const headers of [
    { 'sec-fetch-site': 'cross-site' },
    { origin: 'https://evil.example' },
    {}, // neither header: not a page of ours
  ]) {
    const res = await h.http.post('/signin').set(headers).type('form').send({ token: OPERATOR_TOKEN });
    t.is(res.status, 403, JSON.stringify(headers));
    t.is(sessionCookieFrom(res.headers['set-cookie']), null);
  }
  const sameOriginByOrigin = await h.http
    .post('/signin')
    .set('origin', 'http://shop.test')
    .type('form')
    .send({ token: OPERATOR_TOKEN });
  t.is(sameOriginByOrigin.status, 303, 'an Origin equal to the public URL is ours');
});

test('cookie-authenticated writes need a same-origin request (CSRF); bearer writes do not', async (t) => {
  const h = await harness(t);
  const { cookie } = await signIn(h, OPERATOR_TOKEN);
  const attempts: Array<[Record<string, string>, number]> = [
    [{}, 403],
    [{ 'sec-fetch-site': 'cross-site' }, 403],
    [{ 'sec-fetch-site': 'same-site' }, 403],
    [{ origin: 'https://evil.example' }, 403],
    [{ 'sec-fetch-site': 'same-origin' }, 201],
    [{ origin: 'http://shop.test' }, 201],
  ];
  for (const [headers, status] of attempts) {
    const res = await h.http
      .post('/api/venues')
      .set({ cookie, ...headers })
      .send({ name: 'Hall' });
    t.is(res.status, status, JSON.stringify(headers));
    if (status === 403) t.is(res.body.error.code, 'cross_site_refused');
  }
  t.is((await h.store.listVenues()).length, 2, 'only the same-origin requests created venues');
  // Reads are safe from any page: no header needed.
  await h.http.get('/api/venues').set({ cookie }).expect(200);
  await h.http.post('/api/venues').set(asOperator).send({ name: 'Scripted' }).expect(201);
});

test('a damaged, foreign or expired cookie is no sign-in', async (t) => {
  const h = await harness(t);
  const { cookie } = await signIn(h, OPERATOR_TOKEN);
  const value = cookie.slice(SESSION_COOKIE.length + 1);
  const flipped = `${value.slice(0, -3)}${value.at(-3) === 'A' ? 'B' : 'A'}${value.slice(-2)}`;
  const foreign = new SessionSealer('another-secret-another-secret-0123456789').seal({
    tokenHash: hashBearerToken(OPERATOR_TOKEN),
    label: null,
    issuedAt: h.clock.now(),
    expiresAt: h.clock.now() + SESSION_TTL_MS,
  });
  for (const bad of [flipped, foreign, 'v1.', 'garbage']) {
    t.is((await h.http.get('/api/venues').set('cookie', `${SESSION_COOKIE}=${bad}`)).status, 401);
    const page = await h.http.get('/ops').set('cookie', `${SESSION_COOKIE}=${bad}`);
    t.is(page.status, 302);
    t.is(page.headers.location, '/signin?next=%2Fops');
  }
  await h.http.get('/api/venues').set('cookie', cookie).expect(200);
  h.clock.advance(SESSION_TTL_MS + 1);
  t.is((await h.http.get('/api/venues').set('cookie', cookie)).status, 401, 'expired');
});

test('sign-out clears the cookie and is refused from other sites', async (t) => {
  const h = await harness(t);
  const { cookie } = await signIn(h, OPERATOR_TOKEN);
  t.is((await h.http.post('/signout').set({ cookie, 'sec-fetch-site': 'cross-site' })).status, 403);
  const res = await h.http
    .post('/signout')
    .set({ cookie, ...SAME_ORIGIN })
    .expect(303);
  t.is(res.headers.location, '/signin?signedout');
  const cleared = (res.headers['set-cookie'] as unknown as string[])[0]!;
  t.regex(cleared, new RegExp(`^${SESSION_COOKIE}=;`));
  t.true(cleared.includes('Max-Age=0'));
  t.regex((await h.http.get('/signin?signedout').expect(200)).text, /You are signed out/);
});

test('revoking a credential ends its access at once: cookie, bearer and new sign-ins', async (t) => {
  const h = await harness(t);
  const issued = await h.http
    .post('/api/credentials')
    .set(asOperator)
    .send({ role: 'operator', name: 'Temp' })
    .expect(201);
  const { cookie } = await signIn(h, issued.body.token);
  await h.http.get('/ops').set('cookie', cookie).expect(200);
  await h.http.get('/api/credentials').set('cookie', cookie).expect(200);

  await h.http.post(`/api/credentials/${issued.body.credential.id}/revoke`).set(asOperator).expect(200);
  t.is((await h.http.get('/api/credentials').set('cookie', cookie)).status, 401);
  t.is((await h.http.get('/ops').set('cookie', cookie)).status, 302);
  t.is((await h.http.get('/api/credentials').set('authorization', `Bearer ${issued.body.token}`)).status, 401);
  const again = await h.http.post('/signin').set(SAME_ORIGIN).type('form').send({ token: issued.body.token });
  t.is(again.status, 401);
});

test('fans (no credentials) are sent to sign-in from every /ops page and refused by the admin API', async (t) => {
  const h = await harness(t);
  const { event } = await seedVenue(h, { images: 1, printers: 1 });
  const pages = opsPages(h, event.id);
  t.true(pages.length >= 8, `found ${pages.length} pages`);
  for (const path of pages) {
    const res = await h.http.get(path);
    t.is(res.status, 302, path);
    t.is(res.headers.location, `/signin?next=${encodeURIComponent(path)}`, path);
    t.notRegex(res.text, /<table|heatmap|Access tokens/, `${path} shows nothing`);
  }
  const adminApi: Array<['get' | 'post' | 'put', string, object?]> = [
    ['get', '/api/credentials'],
    ['post', `/api/credentials/${credentialIdOf(hashBearerToken(OPERATOR_TOKEN))}/revoke`],
    ['put', `/api/events/${event.id}/price-list`, { currency: 'EUR', unitPriceCents: 1, bundles: [] }],
    ['get', '/api/ops/snapshot'],
    ['get', '/api/ops/stream'],
    ['get', `/api/events/${event.id}/orders`],
    ['get', `/api/events/${event.id}/delivery`],
    ['get', '/api/printers/status'],
  ];
  for (const [method, path, body] of adminApi) {
    const res = await h.http[method](path).set(SAME_ORIGIN).send(body);
    t.is(res.status, 401, `${method} ${path}`);
  }
  t.is((await h.store.getCredential(hashBearerToken(OPERATOR_TOKEN)))?.revokedAt, null);
});

test('photographers get a 403 page on operator pages, and can sign in and upload', async (t) => {
  const h = await harness(t);
  const { event } = await seedVenue(h, { images: 0, printers: 0 });
  const signin = await h.http
    .post('/signin')
    .set(SAME_ORIGIN)
    .type('form')
    .send({ token: PHOTOGRAPHER_TOKEN, next: '/ops' })
    .expect(303);
  t.is(signin.headers.location, '/ops/upload', 'photographers land on the only page they may use');
  const cookie = sessionCookieFrom(signin.headers['set-cookie'])!;

  for (const path of opsPages(h, event.id)) {
    const res = await h.http.get(path).set('cookie', cookie);
    if (path === '/ops/upload') {
      t.is(res.status, 200, path);
      t.regex(res.text, /id="drop-zone"/);
      t.notRegex(res.text, /href="\/ops\/tokens"/, 'the navigation offers no operator page');
    } else {
      t.is(res.status, 403, path);
      t.regex(res.text, /This page is for operators; you are signed in as a photographer/);
    }
  }
  t.is((await h.http.get('/api/credentials').set('cookie', cookie)).status, 403);

  const upload = await h.http
    .post(`/api/events/${event.id}/images`)
    .set({ cookie, ...SAME_ORIGIN })
    .attach('image', await sampleJpeg(7), 'IMG_7.jpg');
  t.is(upload.status, 201);
  t.is(upload.body.image.photographer, 'Pat Photographer');
  const forged = await h.http
    .post(`/api/events/${event.id}/images`)
    .set({ cookie, 'sec-fetch-site': 'cross-site' })
    .attach('image', await sampleJpeg(8), 'IMG_8.jpg');
  t.is(forged.status, 403, 'a cross-site upload with the cookie is refused');
});

test('after sign-in only staff pages of this site are redirect targets', (t) => {
  t.is(nextAfterSignin('/ops/events/x?y=1', 'operator'), '/ops/events/x?y=1');
  t.is(nextAfterSignin('', 'operator'), '/ops');
  for (const evil of ['//evil.example/ops', 'https://evil.example/ops', '/opsx', '/ops\\evil', '/', '/e/123']) {
    t.is(nextAfterSignin(evil, 'operator'), '/ops', evil);
  }
  t.is(nextAfterSignin('/ops/printers', 'photographer'), '/ops/upload');
  t.is(nextAfterSignin('/ops/upload?event=e1', 'photographer'), '/ops/upload?event=e1');
});

test('sealed sessions: round trip, tamper, wrong key, expiry; same-origin rule', (t) => {
  const sealer = new SessionSealer(SESSION_SECRET);
  const session = { tokenHash: 'ab'.repeat(32), label: 'Olga', issuedAt: 1000, expiresAt: 5000 };
  const sealed = sealer.seal(session);
  t.deepEqual(sealer.open(sealed, 4999), session);
  t.is(sealer.open(sealed, 5000), null, 'expired at expiresAt');
  t.not(sealer.seal(session), sealed, 'a fresh IV each time');
  t.is(new SessionSealer(`${SESSION_SECRET}x`).open(sealed, 1), null);
  const raw = Buffer.from(sealed.slice(3), 'base64url');
  raw[20]! ^= 1;
  t.is(sealer.open(`v1.${raw.toString('base64url')}`, 1), null);
  t.throws(() => new SessionSealer('short'), { instanceOf: RangeError });

  const own = ['http://a.test'];
  t.true(isSameOriginRequest({ secFetchSite: 'same-origin', origin: undefined }, own));
  t.false(isSameOriginRequest({ secFetchSite: 'same-site', origin: 'http://a.test' }, own));
  t.true(isSameOriginRequest({ secFetchSite: undefined, origin: 'http://a.test' }, own));
  t.false(isSameOriginRequest({ secFetchSite: undefined, origin: 'null' }, own));
  t.false(isSameOriginRequest({ secFetchSite: undefined, origin: undefined }, own));
});
