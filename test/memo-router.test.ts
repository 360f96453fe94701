import Router from '@koa/router';
import test from 'ava';
import Koa from 'koa';
import request from 'supertest';
import { MAX_MEMOISED_ROUTE_MATCHES, MemoRouter } from '../coordinator/http/memo-router.ts';

/** An app answering which route ran, with what params, and how many routes the router matched. */
function appWith(router: Router) {
  router.post('/api/printer/redeem', (ctx) => {
    ctx.body = { route: 'redeem', matched: (ctx as { matched?: unknown[] }).matched?.length };
    // A later router on the same context pushes onto this array: it must not leak into the next request.
    (ctx as { matched?: unknown[] }).matched?.push('extra');
  });
  router.get('/api/orders/:orderId', (ctx) => {
    ctx.body = { route: 'order', params: ctx.params };
  });
  const app = new Koa();
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}

test('memo router: answers every request as @koa/router does, repeated or not', async (t) => {
  const plain = request(appWith(new Router()).callback());
  const memo = request(appWith(new MemoRouter()).callback());
  const calls: Array<[method: 'get' | 'post' | 'put', path: string]> = [
    ['post', '/api/printer/redeem'],
    ['post', '/api/printer/redeem'],
    ['get', '/api/orders/a1'],
    ['get', '/api/orders/b2'],
    ['get', '/api/orders/a1'],
    ['put', '/api/printer/redeem'],
    ['get', '/nowhere'],
    ['post', '/api/printer/redeem'],
  ];
  for (const [method, path] of calls) {
    const [a, b] = await Promise.all([plain[method](path), memo[method](path)]);
    t.is(b.status, a.status, `${method} ${path}`);
    t.deepEqual(b.body, a.body, `${method} ${path}`);
    t.is(b.headers.allow, a.headers.allow, `${method} ${path}`);
  }
  const redeem = await memo.post('/api/printer/redeem').expect(200);
  t.deepEqual(redeem.body, { route: 'redeem', matched: 1 });
});

test('memo router: a route registered after requests were served takes part in the next match', async (t) => {
  const router = new MemoRouter();
  router.get('/api/ping', async (ctx, next) => {
    ctx.body = { answeredBy: 'first' };
    await next();
  });
  const app = new Koa();
  app.use(router.routes());
  const http = request(app.callback());
  t.deepEqual((await http.get('/api/ping').expect(200)).body, { answeredBy: 'first' });
  t.deepEqual((await http.get('/api/ping').expect(200)).body, { answeredBy: 'first' });
  // Registered after the match for GET /api/ping was kept: the next request must run it too.
  router.get('/api/ping', (ctx) => {
    ctx.body = { answeredBy: 'second' };
  });
  t.deepEqual((await http.get('/api/ping').expect(200)).body, { answeredBy: 'second' });
});

test('memo router: routes with parameters still match past its bound, and each match has its own arrays', (t) => {
  const router = new MemoRouter();
  router.get('/static', () => {});
  router.get('/item/:id', () => {});
  for (let i = 0; i < MAX_MEMOISED_ROUTE_MATCHES + 10; i++) {
    t.true(router.match(`/item/${i}`, 'GET').route);
  }
  t.true(router.match('/static', 'GET').route);
  const first = router.match('/static', 'GET');
  const second = router.match('/static', 'GET');
  t.not(first.path, second.path, 'each request gets its own arrays');
  t.deepEqual(first.path, second.path);
  t.false(router.match('/missing', 'GET').route);
});
