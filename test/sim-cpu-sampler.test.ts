/**
 * The emulation's reading of the printers' CPU (sim/emulation/cpu-sampler.ts): CPU used inside
 * the windows asked about is counted, CPU outside them is not.
 */
import test from 'ava';
import { ManualClock } from '../shared/ports/clock.ts';
import { CpuSampler } from '../sim/emulation/cpu-sampler.ts';
import type { WallTimeline } from '../sim/emulation/wall-timeline.ts';

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
