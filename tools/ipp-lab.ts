/**
 * Real IPP photo printers for tests and the print bench: Debian's ippeveprinter (an IPP Everywhere
 * printer) running tools/ipp-lab-engine/photo-engine.sh as its print engine, announced over DNS-SD by a
 * private avahi-daemon confined to loopback (allow-interfaces=lo) on a private D-Bus. avahi runs in
 * its own mount namespace with a private /run/avahi-daemon, so it never meets a system avahi.
 * `scripts/ensure-ipp.sh` installs the binaries. close() stops everything and removes the temp dir.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { IppClient } from '../edge-node/printing/ipp/client.ts';
import { systemClock } from '../shared/ports/clock.ts';

/** A test printer that ignores SIGTERM this long is killed. */
const CHILD_STOP_GRACE_MS = 3_000;
/** How often a starting server is asked whether it is up. */
const START_POLL_MS = 50;

const ENGINE = fileURLToPath(new URL('./ipp-lab-engine/photo-engine.sh', import.meta.url));
const START_TIMEOUT_MS = 15_000;
export const PHOTO_MEDIA = 'na_index-4x6_4x6in';
/** ippeveprinter's photo tray holds 25 sheets; its /media form offers no more. */
const PHOTO_TRAY_SHEETS = 25;

export function ippAvailable(): boolean {
  return ['/usr/sbin/ippeveprinter', '/usr/sbin/avahi-daemon'].every((f) => existsSync(f)) && hasBin('dbus-daemon');
}

function hasBin(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`]).status === 0;
}

export interface LabPrinter {
  name: string;
  /** ippeveprinter's spool (with -k it keeps every document it received, named `<job id>-<job name>.*`). */
  spool: string;
  uri: string;
  port: number;
  /** Where the engine keeps every document it printed (`<job id>-<job name>.jpg`). */
  outDir: string;
  engineDir: string;
  /** The roll runs out: the print in progress aborts, the printer reports media-empty. */
  emptyRoll(): Promise<void>;
  loadRoll(): Promise<void>;
  printed(): Promise<string[]>;
  stop(): Promise<void>;
}

export class IppLab {
  readonly #children: ChildProcess[] = [];
  #dir = '';
  #busAddress = '';
  readonly printers: LabPrinter[] = [];

  async start(): Promise<this> {
    this.#dir = await fs.mkdtemp(path.join(os.tmpdir(), 'vpm-ipp-'));
    const sock = path.join(this.#dir, 'bus.sock');
    await fs.writeFile(
      path.join(this.#dir, 'bus.conf'),
      `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>system</type><listen>unix:path=${sock}</listen><auth>EXTERNAL</auth>
<policy context="default"><allow user="*"/><allow own="*"/><allow send_destination="*"/><allow receive_sender="*"/></policy>
</busconfig>`,
    );
    await fs.writeFile(
      path.join(this.#dir, 'avahi.conf'),
      '[server]\nuse-ipv4=yes\nuse-ipv6=no\nallow-interfaces=lo\n[wide-area]\nenable-wide-area=no\n' +
        '[publish]\npublish-hinfo=no\npublish-workstation=no\npublish-addresses=no\n',
    );
    this.#spawn('dbus-daemon', [`--config-file=${path.join(this.#dir, 'bus.conf')}`, '--nofork'], {});
    await waitFor(() => existsSync(sock), 'dbus-daemon socket');
    this.#busAddress = `unix:path=${sock}`;
    const avahiCmd = `avahi-daemon -f ${path.join(this.#dir, 'avahi.conf')} --no-drop-root --no-chroot --no-rlimits`;
    // Its own mount namespace gives avahi a private /run/avahi-daemon (pid file, socket), so it never
    // meets a system avahi or another test's; without that privilege, it runs as is (needs no other).
    const child =
      spawnSync('unshare', ['-m', 'true']).status === 0
        ? this.#spawn(
            'unshare',
            [
              '-m',
              'sh',
              '-c',
              `mkdir -p /run/avahi-daemon && mount -t tmpfs tmpfs /run/avahi-daemon && exec ${avahiCmd}`,
            ],
            {
              DBUS_SYSTEM_BUS_ADDRESS: this.#busAddress,
            },
          )
        : this.#spawn('sh', ['-c', `exec ${avahiCmd}`], { DBUS_SYSTEM_BUS_ADDRESS: this.#busAddress });
    let log = '';
    child.stdout?.on('data', (d: Buffer) => {
      log += d.toString();
    });
    child.stderr?.on('data', (d: Buffer) => {
      log += d.toString();
    });
    await waitFor(() => log.includes('Server startup complete'), `avahi-daemon (${log.slice(-200)})`);
    return this;
  }

  async addPrinter(opts: {
    name: string;
    printSeconds: number;
    rollPrints?: number;
    /** Document formats it takes (default JPEG and PWG raster). */
    formats?: string;
    /** Print engine (default tools/ipp-lab-engine/photo-engine.sh). */
    engine?: string;
  }): Promise<LabPrinter> {
    const port = await freeTcpPort();
    const base = path.join(this.#dir, opts.name);
    const spool = path.join(base, 'spool');
    const engineDir = path.join(base, 'engine');
    await fs.mkdir(spool, { recursive: true });
    await fs.mkdir(path.join(engineDir, 'out'), { recursive: true });
    const child = this.#spawn(
      'ippeveprinter',
      ['-n', 'localhost', '-r', 'off', '-p', String(port), '-k', '-d', spool, '-c', opts.engine ?? ENGINE],
      {
        DBUS_SYSTEM_BUS_ADDRESS: this.#busAddress,
        VPM_ENGINE_DIR: engineDir,
        VPM_PRINT_SECONDS: String(opts.printSeconds),
        VPM_ROLL_PRINTS: String(opts.rollPrints ?? 400),
      },
      ['-M', 'DNP', '-m', 'DS620', '-s', '60,60', '-f', opts.formats ?? 'image/jpeg,image/pwg-raster', opts.name],
    );
    const uri = `ipp://localhost:${port}/ipp/print`;
    const client = new IppClient({ uri, timeoutMs: 1000 });
    try {
      await waitForAsync(async () => {
        await client.getPrinterAttributes(['printer-state']);
        return true;
      }, `ippeveprinter ${opts.name}`);
    } finally {
      client.close();
    }
    const media = (level: number) =>
      fetch(
        `http://localhost:${port}/media?size1=na_letter_8.5x11in&type1=stationery&level1=250` +
          `&size2=${PHOTO_MEDIA}&type2=photographic-glossy&level2=${level}`,
      ).then((r) => r.text());
    const printer: LabPrinter = {
      name: opts.name,
      spool,
      uri,
      port,
      outDir: path.join(engineDir, 'out'),
      engineDir,
      emptyRoll: async () => {
        await fs.writeFile(path.join(engineDir, 'EMPTY'), '');
        await media(0);
      },
      loadRoll: async () => {
        await fs.rm(path.join(engineDir, 'EMPTY'), { force: true });
        await media(PHOTO_TRAY_SHEETS);
      },
      printed: async () => (await fs.readdir(path.join(engineDir, 'out'))).filter((f) => !f.endsWith('.tmp')).sort(),
      stop: async () => stopChild(child),
    };
    await media(PHOTO_TRAY_SHEETS);
    this.printers.push(printer);
    return printer;
  }

  #spawn(cmd: string, args: string[], env: Record<string, string>, extra: string[] = []): ChildProcess {
    const child = spawn(cmd, [...args, ...extra], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // Drain output so a chatty child never blocks on a full pipe.
    child.stdout?.resume();
    child.stderr?.resume();
    this.#children.push(child);
    return child;
  }

  async close(): Promise<void> {
    for (const child of [...this.#children].reverse()) await stopChild(child);
    if (this.#dir) await fs.rm(this.#dir, { recursive: true, force: true });
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = systemClock.setTimeout(() => child.kill('SIGKILL'), CHILD_STOP_GRACE_MS);
  await exited;
  timer.cancel();
}

async function waitFor(check: () => boolean, what: string): Promise<void> {
  await waitForAsync(async () => check(), what);
}

async function waitForAsync(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = systemClock.now() + START_TIMEOUT_MS;
  for (;;) {
    try {
      if (await check()) return;
    } catch (err) {
      if (systemClock.now() > deadline) throw err;
    }
    if (systemClock.now() > deadline) throw new Error(`${what} did not start within ${START_TIMEOUT_MS} ms`);
    await systemClock.sleep(START_POLL_MS);
  }
}

export function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}
