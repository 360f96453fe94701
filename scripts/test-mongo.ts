import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { systemClock } from '../shared/ports/clock.ts';

/**
 * `npm run test:mongo`: the MongoDB suites (test/mongo/) against MONGODB_URI when it is set, else
 * against the MongoDB test server started here as its own process on 127.0.0.1.
 */
const SUITE_DIR = 'test/mongo';
const SERVER_READY_TIMEOUT_MS = 30_000;

async function startTestServer(): Promise<{ child: ChildProcess; uri: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/mongo-test-server-main.ts'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  const uri = await new Promise<string>((resolve, reject) => {
    const timer = systemClock.setTimeout(
      () => reject(new Error('the MongoDB test server did not start')),
      SERVER_READY_TIMEOUT_MS,
    );
    lines.on('line', (line) => {
      const entry = JSON.parse(line) as { uri?: string; label?: string; seed?: number; interleave?: boolean };
      if (!entry.uri) return;
      timer.cancel();
      console.log(
        `test:mongo: running against the ${entry.label} at ${entry.uri}` +
          (entry.interleave ? `, interleaving on (seed ${entry.seed})` : ', interleaving off'),
      );
      resolve(entry.uri);
    });
    child.once('exit', (code) => {
      timer.cancel();
      reject(new Error(`the MongoDB test server exited with ${code}`));
    });
  });
  return { child, uri };
}

const files = readdirSync(SUITE_DIR)
  .filter((f) => f.endsWith('.test.ts'))
  .sort()
  .map((f) => join(SUITE_DIR, f));
let server: { child: ChildProcess; uri: string } | null = null;
let uri = process.env.MONGODB_URI;
let code: number | null = 1;
try {
  if (uri) {
    console.log('test:mongo: MONGODB_URI is set; running against that server, no test server started');
  } else {
    server = await startTestServer();
    uri = server.uri;
  }
  // ava's package exports only its entry points; the CLI sits next to the main one.
  const avaCli = join(dirname(createRequire(import.meta.url).resolve('ava')), 'cli.mjs');
  const ava = spawn(process.execPath, [avaCli, '--verbose', ...files, ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, MONGODB_URI: uri },
  });
  [code] = (await once(ava, 'exit')) as [number | null];
} finally {
  if (server && server.child.exitCode === null) {
    const exited = once(server.child, 'exit');
    server.child.kill('SIGTERM');
    await exited;
  }
}
process.exit(code ?? 1);
