import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import type { SimResults } from '../sim/results-schema.ts';

const CLI = path.resolve('sim/cli.ts');
/** Absolute, so the CLI can also run from a temp dir that has no node_modules. */
const TSX = import.meta.resolve('tsx');
const BUILT_INS = ['arena', 'club', 'stadium', 'wan-outage', 'wifi-shared'];
/** Bounded: a stuck CLI fails the test instead of hanging the suite. */
const CLI_TIMEOUT_MS = 90_000;

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

function sim(args: string[], cwd = process.cwd()): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', TSX, CLI, ...args], {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: CLI_TIMEOUT_MS,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function tempDir(t: ExecutionContext): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'sim-cli-'));
  t.teardown(() => fs.rm(dir, { recursive: true, force: true }));
  return dir;
}

test('scenarios lists the built-ins (the five named ones among them) with a description each', async (t) => {
  const { code, stdout } = await sim(['scenarios']);
  t.is(code, 0);
  const lines = stdout.trimEnd().split('\n');
  const names = lines.map((l) => l.split(/\s+/)[0]);
  for (const name of BUILT_INS) t.true(names.includes(name), name);
  t.deepEqual(names, [...names].sort(), 'sorted by name');
  for (const line of lines) t.regex(line, /^[\w-]+\s{2,}\S.{8,}/, `"${line}" has a description`);
});

test('validate accepts every built-in scenario file', async (t) => {
  for (const name of BUILT_INS) {
    const file = path.resolve('sim/scenarios', `${name}.json`);
    const { code, stdout } = await sim(['validate', file]);
    t.is(code, 0, name);
    t.true(stdout.startsWith('OK '), name);
  }
});

test('validate of a bad file exits 1 and names the field', async (t) => {
  const dir = await tempDir(t);
  const good = JSON.parse(await fs.readFile('sim/scenarios/club.json', 'utf8')) as Record<string, unknown>;
  const file = path.join(dir, 'bad.json');
  const venue = good.venue as { wan: Record<string, unknown> };
  await fs.writeFile(file, JSON.stringify({ ...good, venue: { ...venue, wan: { ...venue.wan, bandwidthMbps: -3 } } }));
  const bad = await sim(['validate', file]);
  t.is(bad.code, 1);
  t.regex(bad.stderr, /venue\.wan\.bandwidthMbps: expected a number > 0/);
  t.is(bad.stdout, '');

  await fs.writeFile(file, '{ not json');
  const broken = await sim(['validate', file]);
  t.is(broken.code, 1);
  t.true(broken.stderr.length > 0);

  const missing = await sim(['validate', path.join(dir, 'nope.json')]);
  t.is(missing.code, 1);
  t.regex(missing.stderr, /Cannot read/);
});

test('bad usage exits 2 with the usage text', async (t) => {
  for (const args of [
    ['frobnicate'],
    [],
    ['run'],
    ['run', '--scenario', 'club', '--runs', 'two'],
    ['run', '--scenario', 'club', '--strategy', 'carrier-pigeon'],
    ['run', '--scenario', 'no-such-scenario'],
    ['compare'],
    ['validate'],
    ['scenarios', '--bogus'],
  ]) {
    const { code, stderr, stdout } = await sim(args);
    t.is(code, 2, args.join(' '));
    t.regex(stderr, /usage: npm run sim/, args.join(' '));
    t.is(stdout, '', args.join(' '));
  }
  const help = await sim(['--help']);
  t.is(help.code, 0);
  t.regex(help.stdout, /validate <path>/);
});

test('run writes the result files (with revenue.csv for club) for two seeds', async (t) => {
  const dir = await tempDir(t);
  const out = path.join(dir, 'club-out');
  const { code, stdout, stderr } = await sim(['run', '--scenario', 'club', '--runs', '2', '--seed', '5', '--out', out]);
  t.is(code, 0, stderr);
  // club has a revenue section (sim/revenue/): its per-template revenue goes to revenue.csv.
  t.deepEqual((await fs.readdir(out)).sort(), [
    'report.html',
    'results.json',
    'revenue.csv',
    'runs.csv',
    'summary.csv',
  ]);
  t.true(stdout.includes(path.join(out, 'report.html')));
  t.false(stderr.includes('█'), 'no progress bar when stderr is not a TTY');
  const results = JSON.parse(await fs.readFile(path.join(out, 'results.json'), 'utf8')) as SimResults;
  t.is(results.schemaVersion, 1);
  t.deepEqual(results.runs.map((r) => `${r.strategy}:${r.seed}`).sort(), [
    'mesh:5',
    'mesh:6',
    'on-demand:5',
    'on-demand:6',
    'star-periodic:5',
    'star-periodic:6',
  ]);
  t.deepEqual(
    results.summaries.map((s) => s.runs),
    [2, 2, 2],
  );
  const csv = (await fs.readFile(path.join(out, 'runs.csv'), 'utf8')).trimEnd().split('\r\n');
  t.is(csv.length, 7);
  const html = await fs.readFile(path.join(out, 'report.html'), 'utf8');
  t.is(html.match(/<svg /g)?.length, 4);

  // Same scenario, same seeds: same bytes (the simulator is deterministic for a seed).
  const again = path.join(dir, 'again');
  const second = await sim(['run', '--scenario', 'club', '--runs', '2', '--seed', '5', '--out', again]);
  t.is(second.code, 0, second.stderr);
  t.is(
    await fs.readFile(path.join(again, 'results.json'), 'utf8'),
    await fs.readFile(path.join(out, 'results.json'), 'utf8'),
  );
  t.true(
    results.runs.every((r) => r.wallSeconds === 0),
    'wall clock only on request',
  );
});

test('run with one strategy, a scenario path, the default out dir and the wall clock', async (t) => {
  const dir = await tempDir(t);
  const file = path.join(dir, 'my-venue.json');
  await fs.copyFile('sim/scenarios/club.json', file);
  const args = ['run', '--scenario', file, '--strategy', 'mesh', '--wall-clock'];
  const { code, stderr } = await sim(args, dir);
  t.is(code, 0, stderr);
  const out = path.join(dir, 'sim-out', 'club');
  const results = JSON.parse(await fs.readFile(path.join(out, 'results.json'), 'utf8')) as SimResults;
  t.deepEqual(
    results.runs.map((r) => `${r.strategy}:${r.seed}`),
    ['mesh:1'],
    'one run, seeded from the scenario file',
  );
  t.true(results.runs[0]!.wallSeconds > 0);
});

test('compare prints a fixed-width table with the three strategies', async (t) => {
  const { code, stdout, stderr } = await sim(['compare', 'club', '--runs', '2']);
  t.is(code, 0, stderr);
  const lines = stdout.trimEnd().split('\n');
  t.regex(
    lines[0]!,
    /^strategy\s+WAN ratio\s+LAN GB\s+wait p50 s\s+wait p95 s\s+wait p99 s\s+all-local %\s+mean lag s\s+ideal p99 s$/,
  );
  const rows = lines.slice(1, 4);
  t.deepEqual(
    rows.map((r) => r.split(/\s+/)[0]),
    ['star-periodic', 'on-demand', 'mesh'],
  );
  const width = lines[0]!.length;
  for (const row of rows) {
    t.is(row.length, width, 'rows line up with the header');
    t.regex(row, /\d+\.\d\d ± \d+\.\d\d/);
  }
  t.regex(lines[4]!, /95 % CI over 2 seeds/);
});
