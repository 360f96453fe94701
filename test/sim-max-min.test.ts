import test from 'ava';
import fc from 'fast-check';
import { maxMinFairRates } from '../sim/model/max-min.ts';
import { type Flow, type FlowSource, Network } from '../sim/model/network.ts';
import { near } from './sim-helpers.ts';

const MBIT = 125_000;

test('3 flows over a 10 Mb/s link, one capped at 2 Mb/s → 2, 4, 4', (t) => {
  const rates = maxMinFairRates([10 * MBIT], [{ links: [0], cap: 2 * MBIT }, { links: [0] }, { links: [0] }]);
  t.deepEqual(
    rates.map((r) => r / MBIT),
    [2, 4, 4],
  );
});

test('two links: the tighter one freezes its flows first, the rest share what is left', (t) => {
  // A = 10 carries f0 and f1; B = 4 carries f1 and f2. B saturates at 2 (f1 = f2 = 2); A gives f0 10 − 2 = 8.
  t.deepEqual(maxMinFairRates([10, 4], [{ links: [0] }, { links: [0, 1] }, { links: [1] }]), [8, 2, 2]);
});

test('weights: a relayed Wi-Fi transfer uses the air twice', (t) => {
  // Medium 12: a WAN flow (weight 1) and a printer-to-printer flow (weight 2) both get 4 (4 + 2·4 = 12).
  t.deepEqual(
    maxMinFairRates(
      [12],
      [
        { links: [0], weights: [1] },
        { links: [0], weights: [2] },
      ],
    ),
    [4, 4],
  );
});

test('a link with capacity 0 (WAN outage) gives its flows rate 0 and leaves others alone', (t) => {
  t.deepEqual(maxMinFairRates([0, 10], [{ links: [0, 1] }, { links: [1] }]), [0, 10]);
});

test('the bottleneck share equals the fair share: 1 flow per port, one uplink', (t) => {
  // 4 printers with 100-unit ports behind a 60-unit uplink: 15 each; one printer's port is 5 → 5, others 55/3.
  const rates = maxMinFairRates(
    [60, 100, 100, 100, 5],
    [{ links: [0, 1] }, { links: [0, 2] }, { links: [0, 3] }, { links: [0, 4] }],
  );
  t.true(near(rates[3]!, 5));
  for (const r of rates.slice(0, 3)) t.true(near(r, 55 / 3));
});

/** A source that carries one item of `bytes` and records when it arrived. */
function oneItem(bytes: number, done: Map<number, number>, id: number): FlowSource {
  let sent = false;
  return {
    next: (flow: Flow) => {
      if (sent) return false;
      sent = true;
      flow.load(id, bytes);
      return true;
    },
    delivered: (_f, _image, t) => done.set(id, t),
    ended: () => {},
  };
}

/** Runs flows (start time, bytes, links) on a Network to completion; returns each one's finish time. */
function runNetwork(caps: number[], flows: Array<{ at: number; bytes: number; links: number[]; cap?: number }>) {
  const net = new Network(caps);
  const done = new Map<number, number>();
  const starts = flows.map((f, id) => ({ ...f, id })).sort((a, b) => a.at - b.at || a.id - b.id);
  let now = 0;
  let k = 0;
  for (;;) {
    const nextStart = k < starts.length ? starts[k]!.at : Number.POSITIVE_INFINITY;
    const nextMilestone = net.nextTime();
    const t = Math.min(nextStart, nextMilestone);
    if (net.dirty && t > now) {
      net.recompute(now);
      continue;
    }
    if (t === Number.POSITIVE_INFINITY) break;
    now = Math.max(now, t);
    if (nextStart <= nextMilestone) {
      const f = starts[k++]!;
      net.start({
        printer: 0,
        kind: 'lan',
        links: f.links,
        weights: f.links.map(() => 1),
        cap: f.cap ?? Number.POSITIVE_INFINITY,
        source: oneItem(f.bytes, done, f.id),
        tag: 'test',
      });
    } else net.step(now);
  }
  return done;
}

/** Reference: re-solve max-min at every start and finish and advance every flow by rate × dt. */
function reference(caps: number[], flows: Array<{ at: number; bytes: number; links: number[]; cap?: number }>) {
  const left = flows.map((f) => f.bytes);
  const done = new Map<number, number>();
  let now = 0;
  for (;;) {
    const active = flows.map((_f, i) => i).filter((i) => flows[i]!.at <= now + 1e-12 && !done.has(i));
    const pending = flows.map((_f, i) => i).filter((i) => flows[i]!.at > now + 1e-12);
    if (active.length === 0 && pending.length === 0) return done;
    const rates = maxMinFairRates(
      caps,
      active.map((i) => ({ links: flows[i]!.links, cap: flows[i]!.cap })),
    );
    let dt = Math.min(...pending.map((i) => flows[i]!.at - now), Number.POSITIVE_INFINITY);
    active.forEach((i, k) => {
      if (rates[k]! > 0) dt = Math.min(dt, left[i]! / rates[k]!);
    });
    active.forEach((i, k) => {
      left[i]! -= rates[k]! * dt;
      if (left[i]! <= 1e-9 * flows[i]!.bytes) done.set(i, now + dt);
    });
    now += dt;
  }
}

test('network: two flows on a 10 B/s link (10 and 30 bytes) finish at 2 s and 4 s', (t) => {
  const done = runNetwork(
    [10],
    [
      { at: 0, bytes: 10, links: [0] },
      { at: 0, bytes: 30, links: [0] },
    ],
  );
  t.true(near(done.get(0)!, 2));
  t.true(near(done.get(1)!, 4));
});

test('network: rate groups and the common-bottleneck shortcut match a brute-force fluid simulation', (t) => {
  const flowArb = fc.record({
    at: fc.integer({ min: 0, max: 20 }),
    bytes: fc.integer({ min: 1, max: 200 }),
    port: fc.integer({ min: 1, max: 3 }),
    viaWan: fc.boolean(),
    capped: fc.option(fc.integer({ min: 1, max: 30 }), { nil: undefined }),
  });
  fc.assert(
    fc.property(fc.array(flowArb, { minLength: 1, maxLength: 8 }), fc.integer({ min: 5, max: 50 }), (raw, wan) => {
      const caps = [wan, 20, 35, 12];
      const flows = raw.map((f) => ({
        at: f.at,
        bytes: f.bytes,
        links: f.viaWan ? [0, f.port] : [f.port],
        cap: f.capped,
      }));
      const got = runNetwork(caps, flows);
      const want = reference(caps, flows);
      for (let i = 0; i < flows.length; i++) {
        if (!near(got.get(i)!, want.get(i)!, 1e-6)) return false;
      }
      return true;
    }),
    { numRuns: 300, seed: 42 },
  );
  t.pass();
});
