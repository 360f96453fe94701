/**
 * `npm run bench:print-threadpool`: how long a print of a photo rendered ahead takes while other
 * work keeps libuv's thread pool busy, by the pool's size (shared/process/threadpool.ts).
 *
 * In an edge node RocksDB (replication's storage), sodium, sharp and every `fs` call share one pool;
 * a fan's print needs it for the printer's status, the file printer's output and its fsync. For each
 * size in BENCH_PRINT_POOL_SIZES (4, libuv's default, and 16) a child process started with that
 * UV_THREADPOOL_SIZE prints the same pre-rendered photo BENCH_PRINT_POOL_PRINTS times (40) on a file
 * printer, one after another, while two loops each run a render, a PNG encode and a 4 MB file write
 * through the pool. The loops stop with the prints (and after LOAD_MAX_MS at most). Reported per
 * size: p50 and the slowest print in ms, and per size after the first the slowest print's ratio to
 * the first size's. Last stdout line: one JSON object.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { FilePrinter } from '../edge-node/printing/file-printer.ts';
import { THREADPOOL_ENV } from '../shared/process/threadpool.ts';

const SIZES = (process.env.BENCH_PRINT_POOL_SIZES ?? '4,16').split(',').map(Number);
const PRINTS = Number(process.env.BENCH_PRINT_POOL_PRINTS ?? 40);
/** The background loops stop after this long even if the prints have not finished. */
const LOAD_MAX_MS = 120_000;
const LOAD_LOOPS = 2;
const LOAD_WRITE_BYTES = 4 * 1024 * 1024;
const MASTER_WIDTH = 4000;
const MASTER_HEIGHT = 3000;
const CHILD_FLAG = '--child';

interface PoolResult {
  threads: number;
  prints: number;
  p50Ms: number;
  slowestMs: number;
}

async function child(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'vpm-bench-print-pool-'));
  try {
    const printer = new FilePrinter({ dir: join(dir, 'prints') });
    await printer.ready();
    const photo = await sharp({
      create: {
        width: MASTER_WIDTH,
        height: MASTER_HEIGHT,
        channels: 3,
        background: { r: 128, g: 128, b: 128 },
        noise: { type: 'gaussian', mean: 128, sigma: 60 },
      },
    })
      .jpeg()
      .toBuffer();
    await printer.prerender('photo', photo);
    let loading = true;
    const started = performance.now();
    const load = async (loop: number) => {
      for (let i = 0; loading && performance.now() - started < LOAD_MAX_MS; i++) {
        await Promise.all([
          sharp(photo).resize(1200).jpeg().toBuffer(),
          sharp(photo).resize(1000).png().toBuffer(),
          writeFile(join(dir, `load-${loop}-${i % 4}`), Buffer.alloc(LOAD_WRITE_BYTES, i)),
        ]);
      }
    };
    const loops = Array.from({ length: LOAD_LOOPS }, (_, loop) => load(loop));
    const times: number[] = [];
    for (let i = 0; i < PRINTS; i++) {
      const t0 = performance.now();
      await printer.printPhoto(photo, { renderKey: 'photo', label: `print ${i}`, jobId: `job-${i}` });
      times.push(performance.now() - t0);
    }
    loading = false;
    await Promise.all(loops);
    await printer.close();
    const sorted = [...times].sort((a, b) => a - b);
    process.stdout.write(
      `${JSON.stringify({
        prints: PRINTS,
        p50Ms: Math.round(sorted[Math.floor(sorted.length / 2)]!),
        slowestMs: Math.round(sorted.at(-1)!),
      })}\n`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function runChild(threads: number): Promise<PoolResult> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', import.meta.filename, CHILD_FLAG], {
      env: { ...process.env, [THREADPOOL_ENV]: String(threads) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    proc.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    proc.on('error', reject);
    proc.on('exit', (code) => {
      const last = out.trim().split('\n').at(-1) ?? '';
      if (code !== 0 || !last) return reject(new Error(`the ${threads}-thread child exited with ${code}`));
      resolve({ threads, ...(JSON.parse(last) as Omit<PoolResult, 'threads'>) });
    });
  });
}

if (process.argv.includes(CHILD_FLAG)) {
  await child();
} else {
  if (!SIZES.every((n) => Number.isInteger(n) && n >= 1) || !(Number.isInteger(PRINTS) && PRINTS >= 2)) {
    process.stderr.write('BENCH_PRINT_POOL_SIZES must list whole numbers ≥ 1, BENCH_PRINT_POOL_PRINTS ≥ 2\n');
    process.exit(2);
  }
  const results: PoolResult[] = [];
  for (const threads of SIZES) {
    const result = await runChild(threads);
    process.stderr.write(`[bench:print-threadpool] ${JSON.stringify(result)}\n`);
    results.push(result);
  }
  const first = results[0]!;
  const slowestRatios = Object.fromEntries(
    results.slice(1).map((r) => [`${r.threads}vs${first.threads}`, Number((r.slowestMs / first.slowestMs).toFixed(2))]),
  );
  process.stdout.write(`${JSON.stringify({ results, slowestRatios })}\n`);
}
