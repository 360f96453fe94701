import { readFile } from 'node:fs/promises';

/**
 * CPU time of other processes, as bench:mesh, bench:follow and the emulation measure the printers they spawn, and
 * the percentile both report their scans with.
 */

/** Clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ; 100 on Linux). */
const USER_HZ = 100;

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

/** The p-th percentile (nearest rank) of the values. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
