import { readFile } from 'node:fs/promises';
import { AppError } from '../../shared/errors.ts';

/**
 * CPU time of other processes, as bench:mesh, bench:follow and the emulation measure the printers they spawn, and
 * the percentile both report their scans with.
 */

/** Clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ; 100 on Linux). */
export const USER_HZ = 100;

/** CPU seconds a process has used so far in user space and in the kernel (system: its syscalls). */
export async function processCpuTimes(pid: number): Promise<{ user: number; system: number }> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces), from field 3: utime is 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: Number(fields[11]) / USER_HZ, system: Number(fields[12]) / USER_HZ };
}

/** CPU seconds (user + system) a process has used so far, as its own process.cpuUsage() would say. */
export async function processCpuSeconds(pid: number): Promise<number> {
  const { user, system } = await processCpuTimes(pid);
  return user + system;
}

/** CPU seconds (user + system) these processes have used so far, together. */
export async function cpuSecondsOf(pids: readonly number[]): Promise<number> {
  let sum = 0;
  for (const pid of pids) sum += await processCpuSeconds(pid);
  return sum;
}

/** The host's CPU time so far, in USER_HZ ticks summed over its CPUs, and how many CPUs it has. */
export interface HostCpuTicks {
  /** Ticks spent on anything but idling or waiting for I/O (user, nice, system, irq, softirq, steal). */
  busy: number;
  /** Every tick of every CPU. */
  total: number;
  cpus: number;
}

/**
 * Reads /proc/stat's first line (`cpu  user nice system idle iowait irq softirq steal …`) and counts
 * the `cpuN` lines. Softirq counts as busy: the kernel's packet handling for every process runs
 * there, and with IRQ time accounting (Debian's kernels) none of it shows in a process's own utime
 * and stime.
 */
export function parseProcStat(text: string): HostCpuTicks {
  const lines = text.split('\n');
  const fields = (lines[0] ?? '').trim().split(/\s+/);
  if (fields[0] !== 'cpu' || fields.length < 8) {
    throw new AppError('host_cpu_unreadable', '/proc/stat does not start with the cpu line.');
  }
  const ticks = fields.slice(1, 9).map(Number);
  if (!ticks.every(Number.isFinite))
    throw new AppError('host_cpu_unreadable', '/proc/stat has a cpu line that is not numbers.');
  const [user, nice, system, idle, iowait, irq, softirq, steal = 0] = ticks as number[];
  const busy = user! + nice! + system! + irq! + softirq! + steal;
  const cpus = lines.filter((l) => /^cpu\d+ /.test(l)).length;
  if (cpus === 0) throw new AppError('host_cpu_unreadable', '/proc/stat lists no CPU.');
  return { busy, total: busy + idle! + iowait!, cpus };
}

export async function hostCpuTicks(): Promise<HostCpuTicks> {
  let text: string;
  try {
    text = await readFile('/proc/stat', 'utf8');
  } catch (err) {
    throw new AppError('host_cpu_unreadable', `/proc/stat: ${(err as Error).message}`, undefined, { cause: err });
  }
  return parseProcStat(text);
}

/** The p-th percentile (nearest rank) of the values. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
