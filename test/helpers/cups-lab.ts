/**
 * A real CUPS scheduler for tests (Debian's cupsd, on a free loopback port, all state in a temp dir):
 * the path a Linux photo station with Gutenprint takes. Its one raw queue `photo` uses a test backend
 * that keeps each document, takes the print time, reports `ATTR: marker-levels=…`, and, while an
 * EMPTY file exists, reports `STATE: +media-empty-error` and exits with CUPS_BACKEND_STOP, which
 * stops the queue as a real backend does when the printer is out of paper.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { IppClient, strings } from '../../edge-node/printing/ipp/client.ts';
import { freeTcpPort } from '../../tools/ipp-lab.ts';

/** A lab whose free port another lab took at the same moment tries another this many times. */
const START_ATTEMPTS = 5;

export function cupsAvailable(): boolean {
  return existsSync('/usr/sbin/cupsd') && existsSync('/usr/lib/cups/daemon');
}

export class CupsLab {
  #dir = '';
  #child: ChildProcess | null = null;
  uri = '';

  get outDir(): string {
    return path.join(this.#dir, 'out');
  }

  /** `reportsMarkers: false`: a printer that does not say how much ribbon is left (prints left are counted). */
  async start(opts: { printSeconds: number; reportsMarkers?: boolean }): Promise<this> {
    const d = await fs.mkdtemp(path.join(os.tmpdir(), 'vpm-cups-'));
    this.#dir = d;
    await fs.chmod(d, 0o755);
    for (const sub of ['etc', 'lib/backend', 'spool', 'cache', 'state', 'tmp', 'log', 'out']) {
      await fs.mkdir(path.join(d, sub), { recursive: true });
    }
    await fs.chmod(path.join(d, 'tmp'), 0o1777);
    for (const sub of ['daemon', 'notifier']) await fs.symlink(`/usr/lib/cups/${sub}`, path.join(d, 'lib', sub));
    const backend = path.join(d, 'lib/backend/vpmtest');
    await fs.writeFile(
      backend,
      `#!/bin/sh
if [ $# -eq 0 ]; then echo 'direct vpmtest "Unknown" "VPM test photo printer"'; exit 0; fi
if [ -e "${d}/EMPTY" ]; then echo "STATE: +media-empty-error" >&2; echo "ERROR: The printer is out of paper." >&2; exit 4; fi
echo "STATE: -media-empty-error" >&2
sleep ${opts.printSeconds}
cat "\${6:-/dev/stdin}" > "${d}/out/$1-$3.jpg.tmp" && mv "${d}/out/$1-$3.jpg.tmp" "${d}/out/$1-$3.jpg"
${opts.reportsMarkers === false ? '' : 'echo "ATTR: marker-levels=80 marker-names=ribbon marker-types=ink-ribbon marker-colors=#00FFFF" >&2\n'}exit 0
`,
    );
    // Root-owned and private: cupsd runs it as root, as it does for backends that need to.
    await fs.chmod(backend, 0o700);
    // Each lab's queue says which lab it is: a free port can be taken by a lab started at the same
    // moment in another test, and then this lab's client would print into that lab's cupsd.
    const token = path.basename(d);
    await fs.writeFile(
      path.join(d, 'etc/cups-files.conf'),
      [
        `ServerRoot ${d}/etc`,
        `ServerBin ${d}/lib`,
        `RequestRoot ${d}/spool`,
        `CacheDir ${d}/cache`,
        `StateDir ${d}/state`,
        `TempDir ${d}/tmp`,
        `AccessLog ${d}/log/access_log`,
        `ErrorLog ${d}/log/error_log`,
        `PageLog ${d}/log/page_log`,
        'FileDevice No',
        '',
      ].join('\n'),
    );
    await fs.writeFile(
      path.join(d, 'etc/printers.conf'),
      `<Printer photo>\nInfo ${token}\nDeviceURI vpmtest:/photo\nState Idle\nAccepting Yes\nShared No\nErrorPolicy stop-printer\n</Printer>\n`,
    );
    for (let attempt = 1; ; attempt++) {
      if (await this.#startOnFreePort(d, token)) return this;
      if (attempt >= START_ATTEMPTS)
        throw new Error(`cupsd did not start on a port of its own in ${START_ATTEMPTS} attempts`);
    }
  }

  /** Starts cupsd on a free port; false (and stopped again) when another lab's cupsd answers there. */
  async #startOnFreePort(d: string, token: string): Promise<boolean> {
    const port = await freeTcpPort();
    // Loopback only, no browsing; the test policy lets anyone resume the queue (a station's policy
    // would allow the edge node's user instead).
    await fs.writeFile(
      path.join(d, 'etc/cupsd.conf'),
      `Listen 127.0.0.1:${port}\nBrowsing Off\nWebInterface No\nDefaultAuthType None\nErrorPolicy stop-printer\n` +
        '<Location />\n  Order allow,deny\n  Allow all\n</Location>\n<Policy default>\n  <Limit All>\n    Order deny,allow\n  </Limit>\n</Policy>\n',
    );
    const child = spawn('cupsd', ['-f', '-c', `${d}/etc/cupsd.conf`, '-s', `${d}/etc/cups-files.conf`], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.#child = child;
    child.stderr?.resume();
    this.uri = `ipp://127.0.0.1:${port}/printers/photo`;
    const client = new IppClient({ uri: this.uri, timeoutMs: 1000 });
    const deadline = Date.now() + 15_000;
    try {
      for (;;) {
        try {
          const attrs = await client.getPrinterAttributes(['printer-info']);
          if (strings(attrs['printer-info'])[0] === token && child.exitCode === null) return true;
          break; // another lab's cupsd holds this port
        } catch (err) {
          if (Date.now() > deadline) throw err;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    } finally {
      client.close();
    }
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    return false;
  }

  async setEmpty(empty: boolean): Promise<void> {
    if (empty) await fs.writeFile(path.join(this.#dir, 'EMPTY'), '');
    else await fs.rm(path.join(this.#dir, 'EMPTY'), { force: true });
  }

  async printed(): Promise<string[]> {
    return (await fs.readdir(this.outDir)).filter((f) => !f.endsWith('.tmp')).sort();
  }

  async close(): Promise<void> {
    const child = this.#child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    if (this.#dir) await fs.rm(this.#dir, { recursive: true, force: true });
  }
}
