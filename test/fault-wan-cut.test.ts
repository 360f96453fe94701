import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import test from 'ava';
import type { EdgeProcess } from '../tools/venue-kit/edge-process.ts';
import { api, buyAndPay, uploadImage } from '../tools/venue-kit/http.ts';
import { noisyJpeg } from '../tools/venue-kit/photos.ts';
import { sha256Hex, waitFor } from './fixtures/feed-fixtures.ts';
import { printedPhotos } from './fixtures/print-output.ts';
import { startProcessVenue, startVenuePrinter } from './fixtures/venue-harness.ts';

const WIDTH_DOTS = 384;
const FIRST_BATCH = 2;
const SECOND_BATCH = 4;
const CUT_MS = 25_000;
/**
 * The coordinator's orders-feed coalescing window here. The order paid at the cut must not reach
 * the venue before the freeze, and the feed's writer writes the first change after a quiet spell at
 * once: with a long window, an order paid just after a write waits this long, far longer than the
 * few hundred milliseconds between its payment and the freeze on a loaded machine.
 */
const ORDERS_COALESCE_MS = 20_000;
/** The first two orders reach the printers within one coalescing window (plus a sync). */
const ORDERS_KNOWN_TIMEOUT_MS = ORDERS_COALESCE_MS + 30_000;
/** A status call must answer quickly even with the cloud gone (it never waits on the uplink). */
const STATUS_DEADLINE_MS = 5_000;
/** Pause between rounds of status calls while the cut lasts. */
const STATUS_ROUND_MS = 1_000;

/**
 * A WAN cut for the length of a scenario phase. The coordinator process is frozen (SIGSTOP) and
 * thawed (SIGCONT): every byte to it (HTTP and Hyperswarm) goes unanswered, which is what a
 * black-holed uplink looks like from the venue: connects hang, requests time out, streams stall.
 * The venue's LAN (printers, their DHT) keeps working. Network namespaces work here (the simulator
 * uses them), but a cut between namespaces needs the test itself inside one: this process may only
 * use loopback, and a namespace's loopback is its own. The freeze cuts the same traffic with
 * nothing to clean up; unlike a real cut, fans cannot buy during it either.
 *
 * During the cut: an order that was printing goes on printing (its photos are local), status keeps
 * answering, new redemptions get a definite answer, nothing crashes. After it: replication finishes,
 * the confirmations held back reach the coordinator, every order is fulfilled, nothing printed twice.
 */
test('WAN cut during printing and replication: local prints go on, nothing crashes, everything catches up once, nothing twice', async (t) => {
  t.timeout(240_000);
  const venue = await startProcessVenue(t, {
    images: FIRST_BATCH,
    imageSide: 400,
    env: { VPM_ORDERS_FEED_COALESCE_MS: String(ORDERS_COALESCE_MS) },
  });
  const names = ['A', 'B', 'C'];
  const printers: EdgeProcess[] = [];
  for (const name of names) {
    printers.push(
      await startVenuePrinter(t, venue, name, {
        printer: { kind: 'file', dir: join(venue.dir, name, 'prints'), widthDots: WIDTH_DOTS },
      }),
    );
  }
  const [a, b] = printers as [EdgeProcess, EdgeProcess, EdgeProcess];
  const held = async (p: EdgeProcess) => (await p.status()).events[0]?.imagesHeld ?? 0;
  t.true(
    await waitFor(async () => (await Promise.all(printers.map(held))).every((n) => n === FIRST_BATCH), 60_000, 250),
    'every printer holds the first batch',
  );

  // An order is printing at A when the WAN goes (paper out holds it mid-order).
  const aPrints = join(venue.dir, 'A', 'prints');
  await writeFile(join(aPrints, 'PAPER_OUT'), '');
  const inFlight = await buyAndPay(venue.base, venue.event.id, [{ imageId: venue.images[0]!.id, copies: 3 }]);
  const inFlightResult = a.redeem(inFlight.token);
  inFlightResult.catch(() => {});
  t.true(
    await waitFor(
      async () =>
        (await api<{ order: { state: string } }>(venue.base, 'GET', `/api/orders/${inFlight.orderId}`)).body.order
          .state === 'redeeming',
      20_000,
      100,
    ),
    'A claimed the order',
  );
  // Two more paid orders, to be presented at B during the cut: one for a photo every printer holds,
  // paid early enough that B knows it from the venue's orders feed; one paid the moment before the
  // cut, for a photo of a batch still on its way, which the venue has not heard of at all.
  const local = await buyAndPay(venue.base, venue.event.id, [{ imageId: venue.images[1]!.id, copies: 1 }]);
  const ordersKnown = async (p: EdgeProcess) => (await p.status()).offline?.ordersKnown ?? 0;
  t.true(
    await waitFor(
      async () => (await Promise.all(printers.map(ordersKnown))).every((n) => n === 2),
      ORDERS_KNOWN_TIMEOUT_MS,
      100,
    ),
    'every printer knows the first two paid orders',
  );
  // The writer has just written them: it now gathers changes for ORDERS_COALESCE_MS.
  const ordersWrittenAt = Date.now();
  const batch: Array<{ id: string; sha256: string }> = [];
  for (let i = 0; i < SECOND_BATCH; i++) {
    // The last photo is the largest: it is the one the venue must not have at the cut.
    const bytes = await noisyJpeg(100 + i, i === SECOND_BATCH - 1 ? 1600 : 900);
    const res = await uploadImage(venue.base, venue.event.id, venue.photographer, bytes, `late${i}.jpg`);
    t.is(res.status, 201);
    batch.push({ id: res.body.image.id, sha256: sha256Hex(bytes) });
  }
  // The WAN goes the moment the batch is on the feed and its order is paid: it has not reached the venue yet.
  t.true(
    await waitFor(
      async () => {
        const list = await api<{ images: Array<{ inFeed: boolean }> }>(
          venue.base,
          'GET',
          `/api/events/${venue.event.id}/images`,
        );
        return list.body.images.length === FIRST_BATCH + SECOND_BATCH && list.body.images.every((i) => i.inFeed);
      },
      30_000,
      50,
    ),
    'the second batch is on the feed',
  );
  const remote = await buyAndPay(venue.base, venue.event.id, [{ imageId: batch[SECOND_BATCH - 1]!.id, copies: 1 }]);
  t.true(
    Date.now() - ordersWrittenAt < ORDERS_COALESCE_MS / 2,
    "the order was paid early in the orders writer's window (printers hear of a write a sync after it), so the venue cannot have heard of it yet",
  );

  // --- The cut ---
  venue.coordinator.pause();
  const cutAt = Date.now();
  t.teardown(() => venue.coordinator.resume());
  const heldAtCut = await Promise.all(printers.map(held));
  t.log(`images held at the cut: ${heldAtCut.join(', ')} of ${FIRST_BATCH + SECOND_BATCH}`);
  t.true(
    heldAtCut.some((n) => n < FIRST_BATCH + SECOND_BATCH),
    'the second batch was still on its way to the venue',
  );
  // Orders reach the venue only from the coordinator, frozen now: what the printers know is fixed.
  const knownAtCut = await Promise.all(printers.map(ordersKnown));
  t.deepEqual(knownAtCut, [2, 2, 2], 'the venue knows the first two orders and not the one paid at the cut');

  // Paper is back at A: the order in flight prints from local photos with no cloud at all.
  await rm(join(aPrints, 'PAPER_OUT'));
  const photosOf = async (orderId: string) =>
    (
      await printedPhotos(
        names.map((n) => join(venue.dir, n, 'prints')),
        [orderId],
      )
    ).photos;
  t.true(
    await waitFor(async () => (await photosOf(inFlight.orderId)).length === 3, CUT_MS, 100),
    'the order in flight printed during the cut',
  );
  t.true(Date.now() - cutAt < CUT_MS, 'while the WAN was still down');

  // Status keeps answering without the cloud.
  for (const p of printers) {
    const started = Date.now();
    await p.status();
    t.true(Date.now() - started < STATUS_DEADLINE_MS, 'status answers quickly during the cut');
  }

  // New codes during the cut get a definite answer: the local photo prints (offline redemption);
  // the order the venue never heard of is refused with the code that says so, and prints nothing.
  const [atLocal, atRemote] = await Promise.all([b.redeem(local.token), b.redeem(remote.token)]);
  t.log(`during the cut, local photo: ${atLocal.status} ${JSON.stringify(atLocal.body)}`);
  t.log(`during the cut, order paid at the cut: ${atRemote.status} ${JSON.stringify(atRemote.body)}`);
  t.is(atLocal.status, 200);
  t.is(atLocal.body.error, undefined);
  t.deepEqual(
    atLocal.body.units?.map((u) => u.state),
    ['printed'],
    'the local photo printed with no cloud',
  );
  t.is(atRemote.status, 503);
  t.is((atRemote.body.error as { code?: string } | undefined)?.code, 'order_not_known_offline');
  t.is(atRemote.body.units, undefined, 'nothing printed for it');
  // For the rest of the cut every printer keeps answering (a crash or a hang would show here).
  let rounds = 0;
  while (Date.now() - cutAt < CUT_MS) {
    for (const p of printers) {
      const started = Date.now();
      await p.status();
      t.true(Date.now() - started < STATUS_DEADLINE_MS, 'status answers quickly during the cut');
    }
    rounds++;
    await sleep(STATUS_ROUND_MS);
  }
  t.log(`${rounds} rounds of status calls during the rest of the cut`);
  for (const [i, p] of printers.entries()) t.is(p.child.exitCode, null, `printer ${names[i]} still running`);

  // --- Restore ---
  venue.coordinator.resume();
  t.log(`WAN restored after ${Math.round((Date.now() - cutAt) / 1000)} s`);
  const inFlightDone = await inFlightResult;
  t.is(inFlightDone.status, 200, JSON.stringify(inFlightDone.body));

  // Fans who were turned away, or told to try again, come back until their prints are out.
  for (const order of [local, remote]) {
    let last = '';
    const done = await waitFor(
      async () => {
        const again = await b.redeem(order.token);
        last = `${again.status} ${JSON.stringify(again.body)}`;
        const error = again.body.error as { code?: string } | string | undefined;
        if (again.status === 409 && typeof error === 'object' && error.code === 'order_already_printed') return true;
        return again.status === 200 && !error && (again.body.units ?? []).every((u) => u.state === 'printed');
      },
      60_000,
      1_000,
    );
    t.true(done, `the fan's order printed after the cut: ${last}`);
  }
  const orders = [inFlight, local, remote];
  const fulfilled = await waitFor(
    async () => {
      for (const o of orders) {
        const res = await api<{ order: { state: string } }>(venue.base, 'GET', `/api/orders/${o.orderId}`);
        if (res.body.order.state !== 'fulfilled') return false;
      }
      return true;
    },
    60_000,
    500,
  );
  const states = await Promise.all(
    orders.map(
      async (o) =>
        (await api<{ order: { state: string; printedCount: number } }>(venue.base, 'GET', `/api/orders/${o.orderId}`))
          .body.order,
    ),
  );
  t.true(fulfilled, `every order is fulfilled (held-back confirmations delivered): ${JSON.stringify(states)}`);

  // Replication resumed: every printer ends with the whole feed.
  t.true(
    await waitFor(
      async () => (await Promise.all(printers.map(held))).every((n) => n === FIRST_BATCH + SECOND_BATCH),
      60_000,
      500,
    ),
    'replication finished after the cut',
  );

  // Nothing printed twice, nothing missing.
  const { photos } = await printedPhotos(
    names.map((n) => join(venue.dir, n, 'prints')),
    orders.map((o) => o.orderId),
  );
  const units = photos.map((p) => `${p.orderId}/${p.unit}`);
  t.is(units.length, 5, `3 + 1 + 1 photos: ${units.join(' ')}`);
  t.is(new Set(units).size, units.length, 'no unit printed twice');
  for (const [i, p] of printers.entries()) t.is(p.child.exitCode, null, `printer ${names[i]} never exited`);
  t.is(venue.coordinator.child.exitCode, null, 'the coordinator survived the freeze');
});
