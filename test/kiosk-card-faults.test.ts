import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { seededRng } from '../shared/policy/prng.ts';

/**
 * Kill -9 in the card flow (issue #13): the venue (coordinator sale service + store, the simulated
 * provider's books in a file, a printer that claims, prints and confirms) runs as a child process
 * and is SIGKILLed right after one of the flow's step markers, chosen by a seeded generator; a
 * restarted process (the printer resumes its claimed orders, the sweeper settles) must converge:
 * 0 captured without print, 0 prints without payment, 0 double captures, no money left held.
 */
const CHILD = fileURLToPath(new URL('./fixtures/kiosk-card-fault-child.ts', import.meta.url));
const KILL_POINTS = 20;
const SEED = 'kiosk-card-faults-1';
const CHILD_TIMEOUT_MS = 60_000;
const UNITS_PER_SALE = 2;

interface ChildRun {
  steps: string[];
  killed: boolean;
  code: number | null;
  stderr: string;
}

/** Runs the child; with `killAfter`, SIGKILLs it as soon as that many step markers were read. */
function runChild(dir: string, mode: 'flow' | 'recover', killAfter?: number): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dir, mode], { stdio: ['ignore', 'pipe', 'pipe'] });
    const steps: string[] = [];
    let killed = false;
    let buffer = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_TIMEOUT_MS);
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      let nl = buffer.indexOf('\n');
      while (nl >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        if (line.startsWith('STEP ')) steps.push(line.slice(5));
        if (killAfter !== undefined && !killed && steps.length >= killAfter) {
          killed = true;
          child.kill('SIGKILL');
        }
        nl = buffer.indexOf('\n');
      }
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ steps, killed, code, stderr });
    });
  });
}

interface Books {
  payments: Record<
    string,
    { saleId: string; status: string; captureCount: number; card?: { last4: string }; lastFailure?: string }
  >;
}

async function invariants(dir: string) {
  const books = JSON.parse(await readFile(join(dir, 'terminal.json'), 'utf8')) as Books;
  const log = existsSync(join(dir, 'prints.log')) ? await readFile(join(dir, 'prints.log'), 'utf8') : '';
  const prints = log
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(' ') as [string, string]);
  const printsOf = (saleId: string) => new Set(prints.filter(([s]) => s === saleId).map(([, u]) => u)).size;
  const payments = Object.values(books.payments);
  const authorisedSales = new Set(payments.filter((p) => p.card).map((p) => p.saleId));
  return {
    capturedWithoutPrint: payments.filter((p) => p.status === 'captured' && printsOf(p.saleId) < UNITS_PER_SALE).length,
    printsWithoutPayment: prints.filter(([saleId]) => !authorisedSales.has(saleId)).length,
    doubleCaptures: payments.filter((p) => p.captureCount > 1).length,
    doublePrints: prints.length - new Set(prints.map(([s, u]) => `${s}:${u}`)).size,
    heldAuthorisations: payments.filter((p) => p.status === 'authorised').length,
    captured: payments.filter((p) => p.status === 'captured').length,
    voided: payments.filter((p) => p.status === 'voided').length,
    prints: prints.length,
  };
}

test('kill -9 at 20 seeded points of the card flow: every run converges with no money taken wrongly', async (t) => {
  t.timeout(KILL_POINTS * 2 * CHILD_TIMEOUT_MS);
  // A whole flow without a kill: the step markers the kills are chosen from, and the expected end.
  const cleanDir = await mkdtemp(join(tmpdir(), 'vpm-kiosk-fault-'));
  t.teardown(() => rm(cleanDir, { recursive: true, force: true }));
  const clean = await runChild(cleanDir, 'flow');
  t.is(clean.code, 0, clean.stderr);
  t.is(clean.steps.at(-1), 'flow-done');
  t.log(`flow steps: ${clean.steps.join(' → ')}`);
  const cleanBooks = await invariants(cleanDir);
  t.like(cleanBooks, { captured: 1, voided: 1, heldAuthorisations: 0, capturedWithoutPrint: 0 });

  const rng = seededRng(SEED);
  const totals = {
    capturedWithoutPrint: 0,
    printsWithoutPayment: 0,
    doubleCaptures: 0,
    doublePrints: 0,
    heldAuthorisations: 0,
    openSales: 0,
  };
  // Every marker but the last once, in a seeded order, then again until there are 20 points.
  const markers = Array.from({ length: clean.steps.length - 1 }, (_, k) => k + 1);
  for (let k = markers.length - 1; k > 0; k--) {
    const j = rng.int(k + 1);
    [markers[k], markers[j]] = [markers[j]!, markers[k]!];
  }
  const points = Array.from({ length: KILL_POINTS }, (_, i) => markers[i % markers.length]!);
  for (const [i, killAfter] of points.entries()) {
    const dir = await mkdtemp(join(tmpdir(), 'vpm-kiosk-fault-'));
    try {
      const first = await runChild(dir, 'flow', killAfter);
      t.true(first.killed || first.code === 0, `run ${i}: ${first.stderr}`);
      const recovered = await runChild(dir, 'recover');
      t.is(recovered.code, 0, `run ${i} recovery: ${recovered.stderr}`);
      const open = JSON.parse((await readFile(join(dir, 'recovered.json'), 'utf8')).trim()) as { open: unknown[] };
      const found = await invariants(dir);
      t.log(
        `kill after step ${killAfter} (${clean.steps[killAfter - 1]}): captured ${found.captured}, voided ${found.voided}, prints ${found.prints}, open ${open.open.length}`,
      );
      totals.capturedWithoutPrint += found.capturedWithoutPrint;
      totals.printsWithoutPayment += found.printsWithoutPayment;
      totals.doubleCaptures += found.doubleCaptures;
      totals.doublePrints += found.doublePrints;
      totals.heldAuthorisations += found.heldAuthorisations;
      totals.openSales += open.open.length;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  t.log(`kill points: ${points.join(', ')}; totals ${JSON.stringify(totals)}`);
  t.deepEqual(totals, {
    capturedWithoutPrint: 0,
    printsWithoutPayment: 0,
    doubleCaptures: 0,
    doublePrints: 0,
    heldAuthorisations: 0,
    openSales: 0,
  });
});
