import test from 'ava';
import Koa from 'koa';
import request from 'supertest';
import { clientKeyOf } from '../coordinator/http/client-key.ts';
import { MAX_STREAMS_PER_CLIENT, openEventStream, StreamLimiter } from '../coordinator/http/event-stream.ts';
import { isAppError } from '../shared/errors.ts';
import { systemClock } from '../shared/ports/clock.ts';
import { openSse } from './fixtures/sse-client.ts';

test('client keys: IPv4 as is (also IPv4-mapped), IPv6 by /64', (t) => {
  t.is(clientKeyOf('203.0.113.7'), '203.0.113.7');
  t.is(clientKeyOf('::ffff:203.0.113.7'), '203.0.113.7');
  t.is(clientKeyOf('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64');
  t.is(clientKeyOf('2001:db8:1:2:ffff:ffff:ffff:ffff'), '2001:db8:1:2::/64');
  t.is(clientKeyOf('2001:db8::1'), '2001:db8:0:0::/64');
  t.not(clientKeyOf('2001:db8:1:3::1'), clientKeyOf('2001:db8:1:2::1'));
});

test('one client cannot take every live-update stream: a per-address cap below the total', (t) => {
  t.true(MAX_STREAMS_PER_CLIENT < 5_000);
  const limiter = new StreamLimiter(10, 3);
  const mine = [1, 2, 3].map(() => limiter.acquire('198.51.100.1'));
  const refused = t.throws(() => limiter.acquire('198.51.100.1'));
  t.true(isAppError(refused, 'too_many_streams'));
  t.is((refused as { details?: { scope?: string } }).details?.scope, 'client');
  // Another client still gets one; the same /64 counts as the same client.
  const other = limiter.acquire('198.51.100.2');
  limiter.acquire('2001:db8:1:2::1');
  limiter.acquire('2001:db8:1:2::2');
  limiter.acquire('2001:db8:1:2::3');
  t.throws(() => limiter.acquire('2001:db8:1:2::4'));
  mine[0]!();
  mine[0]!();
  t.notThrows(() => limiter.acquire('198.51.100.1'), 'a release frees one slot, once');
  other();
  t.is(limiter.open, 6);
});

test('over HTTP, the cap counts the connection’s address', async (t) => {
  const app = new Koa();
  app.silent = true;
  const limiter = new StreamLimiter(100, 2);
  app.use(async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      const e = err as { status?: number; code?: string };
      ctx.status = e.status ?? 500;
      ctx.body = { error: { code: e.code } };
    }
  });
  app.use((ctx) => {
    openEventStream(ctx, limiter, systemClock, { heartbeatMs: 60_000, maxStreamMs: 60_000 }).send('hello', {});
  });
  const streams = [openSse(app.callback(), '/'), openSse(app.callback(), '/')];
  t.teardown(() => {
    for (const s of streams) s.close();
  });
  for (const s of streams) await s.waitFor((e) => e.event === 'hello', 2_000);
  const refused = await request(app.callback()).get('/');
  t.is(refused.status, 503);
  t.is(refused.body.error.code, 'too_many_streams');
  t.is(limiter.open, 2);
});
