import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { promisify } from 'node:util';
import test from 'ava';
import {
  CLOUD_CONTROL_HOST,
  CLOUD_WAN_HOST,
  createShapedNetwork,
  shapingUnavailableReason,
} from '../sim/emulation/netns.ts';
import { runShapedEmulation } from '../sim/emulation/shaped-run.ts';
import { parseScenario } from '../sim/scenario.ts';

const run = promisify(execFile);
const RATE_BYTES_PER_SEC = 2_500_000;
const BODY_BYTES = 5_000_000;

async function namespaces(): Promise<string> {
  return (await run('ip', ['netns', 'list'])).stdout;
}

/** A node one-liner in a namespace; resolves with its stdout. */
async function nodeIn(ns: string, script: string): Promise<string> {
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', script], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const [code] = (await once(child, 'exit')) as [number];
  if (code !== 0) throw new Error(`node in ${ns} exited with ${code}`);
  return out.trim();
}

/** Null where namespaces and tc work here (root, iproute2); otherwise why not, shown in the skip. */
const shapingUnavailable = await shapingUnavailableReason();
const SHAPED_TITLE =
  'the shaped WAN carries about its rate from the cloud namespace to the venue; the control link is not shaped; close() removes it all';
const REFUSAL_TITLE = 'without link shaping, a shaped emulation refuses to run rather than run unshaped';

// Each test runs where it can; the other one is listed as skipped, with the reason, in every run.
const refusalTest = shapingUnavailable === null ? test.skip : test;
refusalTest(
  shapingUnavailable === null ? `${REFUSAL_TITLE} (skipped: shaping works here)` : REFUSAL_TITLE,
  async (t) => {
    const scenario = parseScenario(
      JSON.stringify({
        schemaVersion: 1,
        name: 'x',
        seed: 1,
        durationS: 10,
        venue: {
          printerModels: { m: { printSeconds: 1 } },
          printers: [{ count: 1, model: 'm' }],
          lan: { kind: 'switched', portUpMbps: 100, portDownMbps: 100 },
          wan: { bandwidthMbps: 10, rttMs: 10 },
        },
        event: {
          uploads: { kind: 'explicit', batches: [{ atS: 0, images: 1 }] },
          imageSizeBytes: { kind: 'fixed', value: 1000 },
        },
        orders: { kind: 'explicit', list: [] },
        redemption: { delayS: { kind: 'fixed', value: 1 }, choice: 'nearest' },
      }),
      'x.json',
    );
    await t.throwsAsync(runShapedEmulation(scenario, { timeCompression: 1 }, 'mesh'), {
      message: /Link shaping is not available/,
    });
  },
);

const shapedTest = shapingUnavailable === null ? test : test.skip;
shapedTest(
  shapingUnavailable === null ? SHAPED_TITLE : `${SHAPED_TITLE} (skipped: ${shapingUnavailable})`,
  async (t) => {
    t.timeout(60_000);
    const net = await createShapedNetwork({
      id: `t${process.pid.toString(36)}`.slice(0, 8),
      wanBytesPerSec: RATE_BYTES_PER_SEC,
    });
    t.teardown(() => net.close());
    const server = (host: string, port: number) =>
      spawn(
        'ip',
        [
          'netns',
          'exec',
          net.cloudNs,
          process.execPath,
          '-e',
          `require('node:http').createServer((q, s) => s.end(Buffer.alloc(${BODY_BYTES}, 7))).listen(${port}, '${host}', () => console.log('up'))`,
        ],
        { stdio: ['ignore', 'pipe', 'ignore'] },
      );
    const wan = server(CLOUD_WAN_HOST, 18_081);
    const ctl = server(CLOUD_CONTROL_HOST, 18_082);
    t.teardown(() => {
      wan.kill();
      ctl.kill();
    });
    await Promise.all([once(wan.stdout!, 'data'), once(ctl.stdout!, 'data')]);
    const timedGet = (url: string) =>
      `const t = performance.now(); fetch('${url}').then((r) => r.arrayBuffer()).then((b) => console.log(b.byteLength, (performance.now() - t) / 1000))`;
    const [wanBytes, wanSeconds] = (await nodeIn(net.venueNs, timedGet(`http://${CLOUD_WAN_HOST}:18081/`)))
      .split(' ')
      .map(Number);
    const [ctlBytes, ctlSeconds] = (await nodeIn(net.venueNs, timedGet(`http://${CLOUD_CONTROL_HOST}:18082/`)))
      .split(' ')
      .map(Number);
    t.is(wanBytes, BODY_BYTES);
    t.is(ctlBytes, BODY_BYTES);
    const rate = BODY_BYTES / wanSeconds!;
    t.log(
      `WAN ${(rate / 1e6).toFixed(2)} MB/s (shaped to ${RATE_BYTES_PER_SEC / 1e6}); control ${(BODY_BYTES / ctlSeconds! / 1e6).toFixed(1)} MB/s`,
    );
    t.true(rate > 0.6 * RATE_BYTES_PER_SEC && rate < 1.2 * RATE_BYTES_PER_SEC, `WAN rate ${rate} B/s`);
    t.true(ctlSeconds! < wanSeconds! / 2, 'the control link is not shaped');

    t.true((await namespaces()).includes(net.cloudNs));
    await net.close();
    const left = await namespaces();
    t.false(left.includes(net.cloudNs) || left.includes(net.venueNs), left);
  },
);
