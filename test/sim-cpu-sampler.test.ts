/**
 * The emulation's reading of the printers' CPU (sim/emulation/cpu-sampler.ts): CPU used inside
 * the windows asked about is counted, CPU outside them is not.
 */
import test from 'ava';
import { ManualClock } from '../shared/ports/clock.ts';
import { CpuSampler } from '../sim/emulation/cpu-sampler.ts';
import { replicationCpu } from '../sim/emulation/run-emulation.ts';
import type { WallTimeline } from '../sim/emulation/wall-timeline.ts';
import type { Workload } from '../sim/model/workload.ts';
import type { StrategyRun } from '../sim/results-schema.ts';

/** CPU this test burns between two samples, milliseconds (well above /proc's 10 ms ticks). */
const BURN_MS = 300;

/** Spins until this process has used `ms` more CPU (not wall) time: the machine may be busy. */
function burn(ms: number): void {
  const cpuMs = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  const until = cpuMs() + ms;
  let x = 0;
  while (cpuMs() < until) x += Math.sqrt(x + 1);
  if (x < 0) throw new Error('unreachable');
}

test('CPU burnt between two samples counts in a window around them and not in one after', async (t) => {
  let simS = 0;
  const timeline = { simNow: () => simS, until: async () => {} } as unknown as WallTimeline;
  const clock = new ManualClock(0);
  const cpu = new CpuSampler([process.pid], timeline, clock);
  await cpu.start();
  burn(BURN_MS);
  simS = 10;
  await clock.tick(1_000);
  simS = 20;
  await cpu.stop();
  const during = cpu.cpuSecondsDuring([{ fromS: 0, toS: 10 }]);
  t.true(during >= (BURN_MS * 0.8) / 1000, `${during} s`);
  // Nothing was burnt between the samples at 10 and 20 s beyond the test's own bookkeeping.
  t.true(cpu.cpuSecondsDuring([{ fromS: 10, toS: 20 }]) < during / 2);
  t.true(cpu.totalCpuSeconds >= during);
});

test('the CPU per MB received counts only batches that reached every printer; none did: no figure', (t) => {
  const asked: Array<ReadonlyArray<{ fromS: number; toS: number }>> = [];
  const cpu = {
    totalCpuSeconds: 99,
    cpuSecondsDuring: (windows: ReadonlyArray<{ fromS: number; toS: number }>) => {
      asked.push(windows);
      return 2 * windows.length;
    },
  };
  const workload = { batches: [{ atS: 0 }, { atS: 60 }] } as Pick<Workload, 'batches'>;
  const batch = (completeSeconds: number | null, bytes: number) =>
    ({ completeSeconds, bytes, publishedAfterS: 5, boundSeconds: 1, batch: 0 }) as StrategyRun['batches'][number];
  // Batch 1 never reached every printer: its window and its bytes are left out.
  const some = replicationCpu(cpu, workload, [batch(3, 10e6), batch(null, 30e6)], 4);
  t.deepEqual(asked.at(-1), [{ fromS: 0, toS: 8 }]);
  t.is(some.edgeCpuSeconds, 99);
  t.is(some.edgeCpuMsPerMbReplicating, (2 * 1000) / 40, '2 CPU s over 4 printers × 10 MB');
  // None did (sync windows closed, on-demand): no figure, rather than CPU over bytes never received.
  t.is(replicationCpu(cpu, workload, [batch(null, 10e6), batch(null, 30e6)], 4).edgeCpuMsPerMbReplicating, null);
});
