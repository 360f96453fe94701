/**
 * Photos reach the feed one after the other (issue #16: model and emulation must count batch
 * completion from the same moments): `event.publishMbps` in a scenario, or the publication an
 * emulation measured replayed through `withPublicationTimes`; the model publishes photo by photo and
 * the bound follows the photos still to come.
 */
import test from 'ava';
import { AppError } from '../shared/errors.ts';
import { batchBoundSeconds, streamBoundSeconds } from '../sim/model/metrics.ts';
import { printerLinks } from '../sim/model/simulation.ts';
import { buildWorkload, withPublicationTimes } from '../sim/model/workload.ts';
import type { StrategyRun } from '../sim/results-schema.ts';
import { runModel } from '../sim/run-model.ts';
import type { TraceEvent } from '../sim/strategies/strategy.ts';
import { builtIn, near, variant } from './sim-helpers.ts';

const PUBLISH_MBPS = 100;
const publishing = (mbps = PUBLISH_MBPS) =>
  variant('validation-8-short', (raw) => {
    raw.event.publishMbps = mbps;
  });
const meanComplete = (run: StrategyRun) => {
  const done = run.batches.filter((b) => b.completeSeconds !== null);
  return done.reduce((a, b) => a + b.completeSeconds!, 0) / done.length;
};
const ports = (s: ReturnType<typeof builtIn>) => {
  const l = printerLinks(s);
  return { up: Array.from(l.up), down: Array.from(l.down) };
};

test('without publishMbps every photo is on the feed at its batch time', (t) => {
  const w = buildWorkload(builtIn('validation-8-short'), 7);
  for (let i = 0; i < w.images; i++) t.is(w.uploadAt[i], w.batches[w.batchOf[i]!]!.atS);
});

test('publishMbps: photos follow each other at that rate, and a batch due during the last one waits for it', (t) => {
  const w = buildWorkload(publishing(), 7);
  const rate = PUBLISH_MBPS * 125_000;
  for (const b of w.batches) {
    let at = b.atS;
    for (let i = b.first; i < b.first + b.count; i++) {
      at += w.imageBytes[i]! / rate;
      t.true(near(w.uploadAt[i]!, at), `image ${i}: ${w.uploadAt[i]} vs ${at}`);
    }
  }
  // 1 Mbit/s: a batch of ~50 MB takes ~400 s, so the next one (60 s later) starts when it is done.
  const slow = buildWorkload(publishing(1), 7);
  const second = slow.batches[1]!;
  const lastOfFirst = slow.uploadAt[second.first - 1]!;
  t.true(lastOfFirst > second.atS);
  t.true(near(slow.uploadAt[second.first]!, lastOfFirst + slow.imageBytes[second.first]! / 125_000));
});

test('fans buy only photos already on the feed', (t) => {
  const w = buildWorkload(publishing(5), 7);
  t.true(w.orders.length > 0);
  for (const o of w.orders) for (const i of o.images) t.true(w.uploadAt[i]! <= o.purchaseAt, `order ${o.id}`);
  // At-once publication offers the same photos as before this option existed: whole batches.
  const atOnce = buildWorkload(builtIn('validation-8-short'), 7);
  t.true(atOnce.orders.some((o) => Array.from(o.images).some((i) => w.uploadAt[i]! > o.purchaseAt)));
});

test('withPublicationTimes keeps photos and orders, and refuses times that do not fit', (t) => {
  const w = buildWorkload(builtIn('validation-8-short'), 7);
  const times = Array.from(w.uploadAt, (at, i) => at + 0.5 * (i - w.batches[w.batchOf[i]!]!.first + 1));
  const replay = withPublicationTimes(w, times);
  t.deepEqual(Array.from(replay.uploadAt), times);
  t.is(replay.orders, w.orders);
  t.is(replay.imageBytes, w.imageBytes);
  const refused = (bad: number[]) => t.throws(() => withPublicationTimes(w, bad), { instanceOf: AppError });
  t.is(refused(times.slice(1)).code, 'invalid_publication_times');
  const early = [...times];
  early[3] = w.uploadAt[3]! - 1;
  t.regex(refused(early).message, /Image 3 .*no earlier than its batch/);
  const back = [...times];
  back[5] = back[4]! - 0.1;
  t.regex(refused(back).message, /Image 5 /);
});

test('the stream bound: photos still to come bind from their own publication', (t) => {
  const s = builtIn('validation-8-short');
  const links = ports(s);
  const one = batchBoundSeconds(s, links, 5e6);
  const two = batchBoundSeconds(s, links, 10e6);
  t.true(two > one);
  t.true(near(streamBoundSeconds(s, links, [5e6, 5e6], [3, 3]), two));
  // The second photo comes 10 s after the first: only its own bytes bind after it.
  t.true(near(streamBoundSeconds(s, links, [5e6, 5e6], [0, 10]), one));
  // Close together: the pair still binds, less the head start of the first.
  const gap = (two - one) / 2;
  t.true(near(streamBoundSeconds(s, links, [5e6, 5e6], [0, gap]), two - gap));
});

test('the model publishes photo by photo and replicates while the photographer uploads', (t) => {
  const s = publishing();
  const uploads: TraceEvent[] = [];
  const staggered = runModel(s, 'mesh', 7, { trace: (e) => e.kind === 'upload' && uploads.push(e) });
  const w = buildWorkload(s, 7);
  // One upload event per photo, at its publication time.
  t.is(uploads.length, w.images);
  uploads.forEach((e, k) => {
    t.deepEqual(e.images, [k]);
    t.is(e.t, w.uploadAt[k]!);
  });
  // Completion counts from the last photo of each batch; the bound follows the photos still to
  // come (runModel's invariant checks held completion ≥ that bound).
  staggered.batches.forEach((b, k) => {
    const batch = w.batches[k]!;
    t.true(near(b.publishedAfterS!, w.uploadAt[batch.first + batch.count - 1]! - batch.atS, 1e-3));
    t.true(b.boundSeconds < batchBoundSeconds(s, ports(s), batch.bytes));
  });
  // The same photos on the feed at once: nothing overlaps, so the batch takes longer after it.
  const atOnce = runModel(builtIn('validation-8-short'), 'mesh', 7);
  t.true(meanComplete(staggered) < 0.8 * meanComplete(atOnce), `${meanComplete(staggered)} vs ${meanComplete(atOnce)}`);
  t.true(atOnce.batches.every((b) => b.publishedAfterS === 0));
});
