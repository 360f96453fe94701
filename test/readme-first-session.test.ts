import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import test from 'ava';
import { systemClock } from '../shared/ports/clock.ts';

/**
 * The README's "A first session with curl" block, run as written (bash, line by line as a newcomer
 * pastes it) against `npm run demo`, from the repository folder, on the demo's default ports.
 */
const DEMO_READY_MS = 180_000;
const BLOCK_MS = 120_000;
const DEMO_PORTS = [8080, 8091, 8092, 8093];

function readmeBlock(readme: string): string {
  const section = readme.split('\n### A first session with curl\n')[1];
  if (!section) throw new Error('README has no "A first session with curl" section');
  const block = /```sh\n([\s\S]*?)```/.exec(section);
  if (!block?.[1]) throw new Error('the first-session section has no ```sh block');
  return block[1];
}

async function portFree(port: number): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

async function waitForLine(child: ChildProcess, pattern: RegExp, ms: number): Promise<string> {
  let seen = '';
  const stop = new AbortController();
  const found = new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      seen += d.toString();
      if (pattern.test(seen)) resolve(seen);
    });
    child.once('exit', (code) => reject(new Error(`the demo exited (${code}) before it was ready:\n${seen}`)));
  });
  const timeout = systemClock.sleep(ms, stop.signal).then(() => {
    throw new Error(`the demo was not ready within ${ms} ms:\n${seen}`);
  });
  try {
    return await Promise.race([found, timeout]);
  } finally {
    // The timer must not outlive the wait (its rejection is then an AbortError nobody needs).
    stop.abort();
    timeout.catch(() => {});
  }
}

test('the README first session runs as written against npm run demo', async (t) => {
  t.timeout(DEMO_READY_MS + BLOCK_MS + 30_000);
  for (const port of DEMO_PORTS) {
    t.true(await portFree(port), `port ${port} is taken: stop the running demo or coordinator before this test`);
  }
  const block = readmeBlock(await readFile('README.md', 'utf8'));
  const demo = spawn(process.execPath, ['--import', 'tsx', 'tools/demo.ts'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, VPM_DEMO_PORT: '8080' },
  });
  let demoErr = '';
  demo.stderr?.on('data', (d: Buffer) => {
    demoErr += d.toString();
  });
  t.teardown(async () => {
    if (demo.exitCode === null && demo.signalCode === null) {
      const exited = once(demo, 'exit');
      demo.kill('SIGINT');
      await exited;
    }
  });
  const banner = await waitForLine(demo, /demo is running[\s\S]*Every start of the demo/, DEMO_READY_MS);
  t.regex(banner, /code to type\s+[0-9A-Z]{8}\b/, 'the demo prints the sample order’s 8-character code');
  t.regex(banner, /order page\s+http:\/\/\S+\/o\/\S+/, 'and its order page');
  t.regex(banner, /fan shop\s+http:\/\/\S+\/e\/\S+/, 'and the gallery page, not a JSON URL');
  t.notRegex(banner + demoErr, /Pairing code of this printer/, 'the printers are paired: no pairing codes');

  const run = spawn('bash', ['-euo', 'pipefail', '-c', block], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  run.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  run.stderr.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const timer = systemClock.setTimeout(() => run.kill('SIGKILL'), BLOCK_MS);
  const [code] = (await once(run, 'exit')) as [number | null];
  timer.cancel();
  t.is(code, 0, `the block failed:\n${out}\n${err}`);
  t.regex(out, /^paid$/m, 'the order is paid');
  t.regex(out, /"printed":1,"units":1/, 'and printed at the demo’s printer 1');
});
