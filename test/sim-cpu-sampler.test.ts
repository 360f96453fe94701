/**
 * The emulation's reading of the printers' CPU (sim/emulation/cpu-sampler.ts): CPU used inside
 * the windows asked about is counted, CPU outside them is not.
 */
import { cpus as hostCpus } from 'node:os';
import test from 'ava';
import { AppError } from '../shared/errors.ts';
import { ManualClock } from '../shared/ports/clock.ts';
import { CpuSampler } from '../sim/emulation/cpu-sampler.ts';
import { replicationCpu } from '../sim/emulation/run-emulation.ts';
import type { WallTimeline } from '../sim/emulation/wall-timeline.ts';
import type { Workload } from '../sim/model/workload.ts';
import type { StrategyRun } from '../sim/results-schema.ts';
import { type HostCpuTicks, parseProcStat } from '../tools/venue-kit/process-cpu.ts';
import { near } from './sim-helpers.ts';

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
  // The host was read with it: as many CPUs as Node sees, and what others used is within them.
  const host = cpu.hostCoresDuring([{ fromS: 0, toS: 10 }]);
  t.is(host?.cpus, hostCpus().length);
  t.true(host!.otherCores >= 0 && host!.otherCores <= host!.cpus, JSON.stringify(host));
  t.is(cpu.hostCoresDuring([]), null);
});

test('/proc/stat: busy is everything but idle and I/O wait, softirq included; CPUs are the cpuN lines', (t) => {
  const text = [
    'cpu  100 20 30 400 50 6 7 8 0 0',
    'cpu0 50 10 15 200 25 3 3 4 0 0',
    'cpu1 50 10 15 200 25 3 4 4 0 0',
    'intr 12345',
    'ctxt 678',
  ].join('\n');
  t.deepEqual(parseProcStat(text), { busy: 100 + 20 + 30 + 6 + 7 + 8, total: 621, cpus: 2 });
  for (const bad of ['intr 1\n', 'cpu  1 2 3 4 5 6 7 8\nintr 1\n', 'cpu  1 2 x 4 5 6 7 8\ncpu0 1 2 3 4 5 6 7 8\n']) {
    const refused = t.throws(() => parseProcStat(bad), { instanceOf: AppError });
    t.is(refused?.code, 'host_cpu_unreadable');
  }
});

test('the CPU per MB received counts only batches that reached every printer; none did: no figure', (t) => {
  const asked: Array<ReadonlyArray<{ fromS: number; toS: number }>> = [];
  let host: { cpus: number; otherCores: number } | null = { cpus: 2, otherCores: 0.4 };
  const cpu = {
    totalCpuSeconds: 99,
    cpuSecondsDuring: (windows: ReadonlyArray<{ fromS: number; toS: number }>) => {
      asked.push(windows);
      return 2 * windows.length;
    },
    hostCoresDuring: () => host,
  };
  const workload = { batches: [{ atS: 0 }, { atS: 60 }] } as Pick<Workload, 'batches'>;
  const batch = (completeSeconds: number | null, bytes: number) =>
    ({ completeSeconds, bytes, publishedAfterS: 5, boundSeconds: 1, batch: 0 }) as StrategyRun['batches'][number];
  // Batch 1 never reached every printer: its window and its bytes are left out.
  const some = replicationCpu(cpu, workload, [batch(3, 10e6), batch(null, 30e6)], 4);
  t.deepEqual(asked.at(-1), [{ fromS: 0, toS: 8 }]);
  t.is(some.edgeCpuSeconds, 99);
  t.is(some.edgeCpuMsPerMbReplicating, (2 * 1000) / 40, '2 CPU s over 4 printers × 10 MB');
  t.is(some.printerCoresAvailable, (2 - 0.4) / 4, 'what the others left of the two CPUs, shared by four printers');
  host = { cpus: 2, otherCores: 2 };
  t.is(replicationCpu(cpu, workload, [batch(3, 10e6)], 4).printerCoresAvailable, null, 'nothing left: no figure');
  host = null;
  t.is(replicationCpu(cpu, workload, [batch(3, 10e6)], 4).printerCoresAvailable, null, 'no host readings: no figure');
  // None did (sync windows closed, on-demand): no figure, rather than CPU over bytes never received.
  const none = replicationCpu(cpu, workload, [batch(null, 10e6), batch(null, 30e6)], 4);
  t.is(none.edgeCpuMsPerMbReplicating, null);
  t.is(none.printerCoresAvailable, null);
});

test("the host's cores over the windows: ticks of every CPU over the CPUs are wall time, busy ticks less the printers' CPU the others'", async (t) => {
  let simS = 0;
  const timeline = { simNow: () => simS, until: async () => {} } as unknown as WallTimeline;
  const clock = new ManualClock(0);
  // Two CPUs at USER_HZ 100: 10 s of wall time is 2,000 ticks; the others were busy 150 (1.5 CPU s),
  // then nothing for 10 s, then /proc/stat could not be read.
  const readings: Array<HostCpuTicks | Error> = [
    { busy: 1_000, total: 10_000, cpus: 2 },
    { busy: 1_150, total: 12_000, cpus: 2 },
    { busy: 1_150, total: 14_000, cpus: 2 },
    new Error('EACCES'),
  ];
  const readHost = async () => {
    const next = readings.shift()!;
    if (next instanceof Error) throw next;
    return next;
  };
  // The printers used 0.5 CPU s of the first 1.5 busy seconds, then 0.2 more while /proc/stat failed.
  const printers = [0, 0.5, 0.5, 0.7];
  const readPrinters = async () => printers.shift()!;
  const cpu = new CpuSampler([], timeline, clock, { readHost, readPrinters });
  await cpu.start();
  for (const s of [10, 20, 30]) {
    simS = s;
    if (s < 30) await clock.tick(1_000);
  }
  await cpu.stop();
  t.deepEqual(cpu.hostCoresDuring([{ fromS: 0, toS: 10 }]), { cpus: 2, otherCores: 0.1 });
  t.deepEqual(cpu.hostCoresDuring([{ fromS: 0, toS: 20 }]), { cpus: 2, otherCores: 0.05 });
  t.deepEqual(
    cpu.hostCoresDuring([
      { fromS: 0, toS: 10 },
      { fromS: 10, toS: 20 },
    ]),
    { cpus: 2, otherCores: 0.05 },
    'windows are summed, not averaged',
  );
  t.is(cpu.hostCoresDuring([{ fromS: 20, toS: 30 }]), null, 'a window ending where the host was not read');
  t.true(near(cpu.cpuSecondsDuring([{ fromS: 20, toS: 30 }]), 0.2), "the printers' figures are kept");
});
