/**
 * Link shaping for emulation runs: two network namespaces joined by veth pairs, made with iproute2
 * (needs root). The cloud namespace holds the run itself (the coordinator and the DHT bootstrap);
 * the venue namespace holds the edge-node processes. Between them:
 *
 *   cloud 10.77.0.1 ── WAN veth, `tc tbf` at the scenario's uplink × F, both directions ── 10.77.0.2 venue
 *   cloud 10.77.1.1 ── control veth, not shaped (the run's status polls and redeem calls) ─ 10.77.1.2 venue
 *
 * Printers reach each other inside the venue namespace (the LAN, not shaped: loopback speed). The
 * addresses exist only inside these namespaces, which `close()` deletes (with their veths); an
 * exit handler deletes them too if the process ends first.
 */
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { AppError } from '../../shared/errors.ts';

const run = promisify(execFile);

export const CLOUD_WAN_HOST = '10.77.0.1';
export const VENUE_WAN_HOST = '10.77.0.2';
export const CLOUD_CONTROL_HOST = '10.77.1.1';
export const VENUE_CONTROL_HOST = '10.77.1.2';
const PREFIX_LENGTH = 24;
/** tbf's bucket: at least 10 ms of the rate, and never below two jumbo-ish bursts of packets. */
const TBF_BURST_SECONDS = 0.01;
const TBF_MIN_BURST_BYTES = 64 * 1024;
/** Packets wait at most this long in the shaper's queue before it drops them (as a router would). */
const TBF_QUEUE_LATENCY_MS = 100;

export interface ShapedNetwork {
  cloudNs: string;
  venueNs: string;
  /** WAN rate applied in each direction, bytes per second. */
  wanBytesPerSec: number;
  close(): Promise<void>;
}

async function ip(args: string[]): Promise<void> {
  await run('ip', args);
}

/** Null when namespaces and tbf work here, else why not. */
export async function shapingUnavailableReason(): Promise<string | null> {
  if (process.platform !== 'linux') return 'network namespaces need Linux';
  if (process.getuid?.() !== 0) return 'network namespaces need root';
  const probe = `vpmprobe${process.pid}`;
  try {
    await ip(['netns', 'add', probe]);
    await run('tc', [
      '-n',
      probe,
      'qdisc',
      'add',
      'dev',
      'lo',
      'root',
      'tbf',
      'rate',
      '1mbit',
      'burst',
      '64kb',
      'latency',
      '50ms',
    ]);
    return null;
  } catch (err) {
    return `iproute2 failed: ${(err as Error).message.split('\n')[0]}`;
  } finally {
    await ip(['netns', 'del', probe]).catch(() => {});
  }
}

/** Creates the two namespaces and their links; `id` keeps concurrent runs apart (e.g. the pid). */
export async function createShapedNetwork(opts: { id: string; wanBytesPerSec: number }): Promise<ShapedNetwork> {
  if (!/^[a-z0-9]{1,8}$/.test(opts.id)) {
    throw new AppError('invalid_netns_id', `Namespace id must be 1–8 lower-case letters or digits, got "${opts.id}".`);
  }
  if (!(opts.wanBytesPerSec > 0)) {
    throw new AppError('invalid_wan_rate', `The WAN rate must be > 0 bytes/s, got ${opts.wanBytesPerSec}.`);
  }
  const cloudNs = `vpmsim${opts.id}c`;
  const venueNs = `vpmsim${opts.id}v`;
  const remove = () => {
    for (const ns of [cloudNs, venueNs]) {
      try {
        execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
      } catch {
        // already gone
      }
    }
  };
  process.once('exit', remove);
  try {
    await ip(['netns', 'add', cloudNs]);
    await ip(['netns', 'add', venueNs]);
    for (const ns of [cloudNs, venueNs]) await ip(['-n', ns, 'link', 'set', 'lo', 'up']);
    const pairs: Array<[string, string, string, string]> = [
      ['wan0', CLOUD_WAN_HOST, 'wan1', VENUE_WAN_HOST],
      ['ctl0', CLOUD_CONTROL_HOST, 'ctl1', VENUE_CONTROL_HOST],
    ];
    for (const [cloudIf, cloudAddr, venueIf, venueAddr] of pairs) {
      await ip(['link', 'add', cloudIf, 'netns', cloudNs, 'type', 'veth', 'peer', 'name', venueIf, 'netns', venueNs]);
      await ip(['-n', cloudNs, 'addr', 'add', `${cloudAddr}/${PREFIX_LENGTH}`, 'dev', cloudIf]);
      await ip(['-n', venueNs, 'addr', 'add', `${venueAddr}/${PREFIX_LENGTH}`, 'dev', venueIf]);
      await ip(['-n', cloudNs, 'link', 'set', cloudIf, 'up']);
      await ip(['-n', venueNs, 'link', 'set', venueIf, 'up']);
    }
    const rateBits = Math.round(opts.wanBytesPerSec * 8);
    const burst = Math.max(TBF_MIN_BURST_BYTES, Math.round(opts.wanBytesPerSec * TBF_BURST_SECONDS));
    for (const [ns, dev] of [
      [cloudNs, 'wan0'],
      [venueNs, 'wan1'],
    ] as const) {
      await run('tc', [
        '-n',
        ns,
        'qdisc',
        'add',
        'dev',
        dev,
        'root',
        'tbf',
        'rate',
        `${rateBits}bit`,
        'burst',
        `${burst}b`,
        'latency',
        `${TBF_QUEUE_LATENCY_MS}ms`,
      ]);
    }
  } catch (err) {
    remove();
    process.off('exit', remove);
    throw new AppError('netns_setup_failed', `Could not set up the shaped network: ${(err as Error).message}`);
  }
  return {
    cloudNs,
    venueNs,
    wanBytesPerSec: opts.wanBytesPerSec,
    async close() {
      remove();
      process.off('exit', remove);
    },
  };
}
