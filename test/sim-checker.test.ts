import test from 'ava';
import { isAppError } from '../shared/errors.ts';
import { assertRunInvariants, checkRun, type RunRecord } from '../sim/checkers/run-invariants.ts';
import type { Flow } from '../sim/model/network.ts';
import { runRecord, runStrategy, simulateRun } from '../sim/run-model.ts';
import { ImageQueue } from '../sim/strategies/image-queue.ts';
import { MeshStrategy } from '../sim/strategies/mesh.ts';
import { IN_BACKGROUND, type SimContext, type Strategy } from '../sim/strategies/strategy.ts';
import { builtIn } from './sim-helpers.ts';

const club = builtIn('club');

/** A real mesh run's record, with fresh copies of what the tests break. */
function cleanRecord(): RunRecord {
  const record = runRecord(simulateRun(club, new MeshStrategy(club), 1));
  const p = record.prints;
  return {
    ...record,
    heldAt: Float64Array.from(record.heldAt),
    prints: { order: [...p.order], unit: [...p.unit], printer: [...p.printer], startedAt: [...p.startedAt] },
    run: { ...record.run, batches: record.run.batches.map((b) => ({ ...b })) },
  };
}

function invariants(r: RunRecord): string[] {
  return [...new Set(checkRun(r).map((v) => v.invariant))];
}

test('a real run passes every check, and has something to check', (t) => {
  const r = cleanRecord();
  t.deepEqual(checkRun(r), []);
  t.true(r.prints.order.length > 100, `${r.prints.order.length} prints`);
  t.true(r.servedOrders > 50);
  t.true(r.run.batches.some((b) => b.completeSeconds !== null));
});

test('a unit printed twice is caught', (t) => {
  const r = cleanRecord();
  for (const key of ['order', 'unit', 'printer', 'startedAt'] as const) r.prints[key].push(r.prints[key][0]!);
  t.deepEqual(invariants(r), ['unit-printed-once']);
  t.regex(checkRun(r)[0]!.message, /printed twice/);
});

test('an order counted as served with a unit never printed is caught', (t) => {
  const r = cleanRecord();
  const last = r.prints.order.length - 1;
  for (const key of ['order', 'unit', 'printer', 'startedAt'] as const) r.prints[key].splice(last, 1);
  t.deepEqual(invariants(r), ['unit-printed-once']);
});

test('a print that began before its image was held is caught', (t) => {
  const r = cleanRecord();
  const order = r.orders.find((o) => o.id === r.prints.order[0])!;
  const image = order.images[r.prints.unit[0]!]!;
  r.prints.startedAt[0] = r.heldAt[r.prints.printer[0]! * r.images + image]! - 1;
  t.deepEqual(invariants(r), ['print-needs-image']);
});

test('fewer WAN bytes than the distinct bytes held is caught, and so is a misreported ratio', (t) => {
  const r = cleanRecord();
  r.run = { ...r.run, wanBytes: r.run.uniqueBytes / 2, wanRatio: 0.5 };
  const found = checkRun(r);
  t.deepEqual(invariants(r), ['wan-covers-unique']);
  t.regex(found[0]!.message, /crossed the WAN/);
  const misreported = cleanRecord();
  misreported.run = { ...misreported.run, wanRatio: misreported.run.wanRatio + 0.5 };
  t.deepEqual(invariants(misreported), ['wan-covers-unique']);
});

test('a batch faster than its Kumar–Ross bound is caught', (t) => {
  const r = cleanRecord();
  const b = r.run.batches.find((x) => x.completeSeconds !== null)!;
  b.completeSeconds = b.boundSeconds / 2;
  t.deepEqual(invariants(r), ['batch-above-bound']);
});

test('more served and failed attempts than scans are caught', (t) => {
  const r = cleanRecord();
  r.run = { ...r.run, failedRedemptions: r.run.redemptions };
  t.deepEqual(invariants(r), ['redemptions-add-up']);
});

/**
 * A strategy that cheats: at the start it pushes every photo of the event, uploaded or not, to every
 * printer over the WAN. The model lets it (flows carry whatever they are given); the checker does not.
 */
class Clairvoyant implements Strategy {
  readonly name = 'clairvoyant';
  readonly redemptionNeedsWan = false;
  readonly #flows: Array<Flow | null> = [];
  start(sim: SimContext): void {
    for (let p = 0; p < sim.printers; p++) {
      const queue = new ImageQueue(sim, p, IN_BACKGROUND);
      for (let i = 0; i < sim.workload.images; i++) queue.add(i);
      this.#flows.push(sim.startWanFlow(p, queue, 'background'));
    }
  }
  onUpload(): void {}
  fetchForFan(): void {}
  abandon(): void {}
  onPrinterDown(): void {}
  onPrinterUp(): void {}
  onWanChange(): void {}
  stop(): void {}
}

test('a run that breaks an invariant fails with the run and the invariant named', (t) => {
  const err = t.throws(() => runStrategy(club, new Clairvoyant(), 1));
  t.true(isAppError(err));
  if (!isAppError(err)) return;
  t.is(err.code, 'sim_invariant_violated');
  t.regex(err.message, /clairvoyant run of scenario club \(seed 1\)/);
  t.regex(err.message, /held-after-upload: printer \d+ held image \d+ at .* before its upload/);
});

test('assertRunInvariants lets a clean run through', (t) => {
  t.notThrows(() => assertRunInvariants(cleanRecord(), { scenario: 'club', strategy: 'mesh', seed: 1 }));
});
