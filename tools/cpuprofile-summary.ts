/**
 * `node --import tsx tools/cpuprofile-summary.ts <file.cpuprofile> [fromUs toUs] [--top N]`: self time of a
 * V8 CPU profile (`node --cpu-prof`, e.g. bench:mesh with BENCH_LATE_CPU_PROF) by package and by
 * function, and our own functions' total time (with what they call), optionally only the samples
 * between two timestamps in the profile's clock (bench:mesh prints the late printer's replication
 * window in it).
 *
 * Read it with care: V8 samples wall-clock time. A thread that is waiting for a core (a loaded
 * machine) is charged to whatever was on its stack, typically a native call that woke another thread
 * (RocksDB's read and write batches hand work to the libuv pool), so such frames look far more
 * expensive than they are. For CPU time per thread use /proc/<pid>/task/<tid>/stat or `perf record`.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Rows printed per table unless --top says otherwise. */
const DEFAULT_TOP_ROWS = 25;

function where(url: string): { pkg: string; file: string } {
  const inModules = url.split('/node_modules/');
  if (inModules.length > 1) {
    const path = inModules.at(-1)!;
    const parts = path.split('/');
    const pkg = parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
    return { pkg, file: path };
  }
  if (url.startsWith('node:')) return { pkg: url, file: url };
  if (url === '') return { pkg: '(native)', file: '' };
  const file = url
    .replace(/^file:\/\//, '')
    .split('/')
    .slice(-2)
    .join('/');
  return { pkg: `app:${file}`, file };
}

export function summarise(profile: CpuProfile, fromUs = -Infinity, toUs = Infinity) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i]!;
    if (t < fromUs || t > toUs) continue;
    const id = profile.samples[i]!;
    selfUs.set(id, (selfUs.get(id) ?? 0) + profile.timeDeltas[i]!);
  }
  const parentOf = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parentOf.set(c, n.id);
  // Where each profile node is and its name: worked out once per node, not once per sample.
  const frames = new Map(
    profile.nodes.map((n) => {
      const { functionName, url, lineNumber } = n.callFrame;
      const { pkg, file } = where(url);
      return [n.id, { pkg, name: `${functionName || '(anonymous)'} ${file}:${lineNumber + 1}` }];
    }),
  );
  const byPackage = new Map<string, number>();
  const byFunction = new Map<string, number>();
  // Our own functions with everything they call (each counted once per sample however deep it recurs):
  // which of the node's operations the time belongs to, where self time shows only the leaf.
  const byAppFunctionTotal = new Map<string, number>();
  let idleUs = 0;
  let totalUs = 0;
  for (const [id, us] of selfUs) {
    totalUs += us;
    if (byId.get(id)!.callFrame.functionName === '(idle)') {
      idleUs += us;
      continue;
    }
    const { pkg, name } = frames.get(id)!;
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + us);
    byFunction.set(name, (byFunction.get(name) ?? 0) + us);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) {
      const frame = frames.get(at)!;
      if (!frame.pkg.startsWith('app:') || seen.has(frame.name)) continue;
      seen.add(frame.name);
      byAppFunctionTotal.set(frame.name, (byAppFunctionTotal.get(frame.name) ?? 0) + us);
    }
  }
  const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]);
  return {
    totalUs,
    idleUs,
    byPackage: sorted(byPackage),
    byFunction: sorted(byFunction),
    byAppFunctionTotal: sorted(byAppFunctionTotal),
  };
}

function main(argv: string[]): void {
  const topAt = argv.indexOf('--top');
  const top = topAt >= 0 ? Number(argv[topAt + 1]) : DEFAULT_TOP_ROWS;
  const args = topAt >= 0 ? argv.filter((_, i) => i !== topAt && i !== topAt + 1) : argv;
  const [file, from, to] = args;
  if (!file) {
    process.stderr.write('usage: tools/cpuprofile-summary.ts <file.cpuprofile> [fromUs toUs] [--top N]\n');
    process.exitCode = 2;
    return;
  }
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const s = summarise(profile, from ? Number(from) : -Infinity, to ? Number(to) : Infinity);
  const busyUs = s.totalUs - s.idleUs;
  const ms = (us: number) => (us / 1000).toFixed(0).padStart(8);
  const share = (us: number) => `${((100 * us) / Math.max(1, busyUs)).toFixed(1).padStart(5)}%`;
  const out = [`sampled ${ms(s.totalUs)} ms, not idle ${ms(busyUs)} ms`, '--- self time by package'];
  for (const [k, us] of s.byPackage.slice(0, top)) out.push(`${ms(us)} ms ${share(us)}  ${k}`);
  out.push('--- self time by function');
  for (const [k, us] of s.byFunction.slice(0, top)) out.push(`${ms(us)} ms ${share(us)}  ${k}`);
  out.push('--- total time (with callees) by our own functions');
  for (const [k, us] of s.byAppFunctionTotal.slice(0, top)) out.push(`${ms(us)} ms ${share(us)}  ${k}`);
  process.stdout.write(`${out.join('\n')}\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) main(process.argv.slice(2));
