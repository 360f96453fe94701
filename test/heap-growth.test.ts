import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import test from 'ava';
import { REPLICATION_HEAP_GROWING_PERCENT } from '../shared/process/heap-growth.ts';

const run = promisify(execFile);

/** Runs `body` in a fresh Node process (as the edge node's main does) and returns what it printed. */
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
