import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import test from 'ava';
import { ConfigError } from '../shared/config/config-error.ts';
import {
  heapGrowingPercentFrom,
  MAX_HEAP_GROWING_PERCENT,
  REPLICATION_HEAP_GROWING_PERCENT,
} from '../shared/process/heap-growth.ts';
import { EXIT_CONFIG } from '../shared/process/run-daemon.ts';

const run = promisify(execFile);

/** Runs `body` in a fresh Node process (as a daemon's start does, run-daemon.ts) and returns what it printed. */
async function inChild(body: string): Promise<string> {
  const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', body], {
    cwd: new URL('..', import.meta.url),
  });
  return stdout + stderr;
}

// V8 ignores a flag it does not know (or a value it cannot parse), printing only an error line, so a
// Node upgrade that renamed the flag would silently bring back a full GC every second while photos
// replicate (BENCHMARKS.md, "live replication and V8's heap limit").
test('V8 accepts the heap growing factor the edge node sets at startup', async (t) => {
  t.true(REPLICATION_HEAP_GROWING_PERCENT > 0);
  const printed = await inChild(
    "import { growHeapForReplication } from './shared/process/heap-growth.ts'; growHeapForReplication();",
  );
  t.is(printed, '');
});

test('a flag V8 does not know is reported (what the test above relies on)', async (t) => {
  const printed = await inChild(
    "import { setFlagsFromString } from 'node:v8'; setFlagsFromString('--heap-growing-pcent=300');",
  );
  t.regex(printed, /unrecognized flag/);
});

test('VPM_HEAP_GROWING_PERCENT overrides the factor; 0 leaves V8 its own; anything else is refused', (t) => {
  t.is(heapGrowingPercentFrom({}), REPLICATION_HEAP_GROWING_PERCENT);
  t.is(heapGrowingPercentFrom({ VPM_HEAP_GROWING_PERCENT: ' ' }), REPLICATION_HEAP_GROWING_PERCENT);
  t.is(heapGrowingPercentFrom({ VPM_HEAP_GROWING_PERCENT: '0' }), 0);
  t.is(heapGrowingPercentFrom({ VPM_HEAP_GROWING_PERCENT: '150' }), 150);
  for (const bad of ['abc', '-1', '2.5', String(MAX_HEAP_GROWING_PERCENT + 1)]) {
    const err = t.throws(() => heapGrowingPercentFrom({ VPM_HEAP_GROWING_PERCENT: bad }), { instanceOf: ConfigError });
    t.regex(err.message, /VPM_HEAP_GROWING_PERCENT must be a whole number from 0/);
  }
});

// Both daemons read it before anything else, so a bad value stops them at once with the config exit code.
for (const [name, main] of [
  ['edge node', 'edge-node/main.ts'],
  ['coordinator', 'coordinator/main.ts'],
] as const) {
  test(`the ${name} daemon sets the factor at startup (a bad value is refused with exit code ${EXIT_CONFIG})`, async (t) => {
    const err = await t.throwsAsync(
      run(process.execPath, ['--import', 'tsx', main], {
        cwd: new URL('..', import.meta.url),
        env: { ...process.env, VPM_HEAP_GROWING_PERCENT: 'lots' },
      }),
    );
    const failed = err as Error & { code?: number; stderr?: string };
    t.is(failed.code, EXIT_CONFIG);
    t.regex(failed.stderr ?? '', /VPM_HEAP_GROWING_PERCENT must be a whole number/);
  });
}
