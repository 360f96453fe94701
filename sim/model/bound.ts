/**
 * Lower bounds on the time to deliver F bytes to N printers, for the simulator and the benchmarks
 * to report "time until every printer holds everything" against the best any scheme could do.
 *
 *  - Kumar & Ross (2006), peer-assisted distribution:
 *      T_min = max{ F/u_s, F/d_min, N·F/(u_s + Σu_i) }
 *    u_s = the source's upload (for a venue: the WAN link W), d_min = the slowest printer's download,
 *    u_i = printer i's upload. The first term is the source sending one copy, the second the slowest
 *    receiver, the third the total upload capacity carrying N copies. Adding printers adds to Σu_i but
 *    never lowers F/u_s: the WAN is the one structural bottleneck, which is why responsibility.ts
 *    aims for each byte to cross it once.
 *  - Client–server push (every printer pulls its own copy over the WAN):
 *      T = max{ N·F/W, F/d_min }
 *  - One shared Wi-Fi channel of capacity C carries every copy whatever the scheme:
 *      T ≥ N·F/C, and relaying through the access point costs about twice the airtime
 *    (`airtimeFactor` 2).
 *
 * Units: bytes and bytes per second in, seconds out. For a whole event, F is the total unique bytes.
 */
import { AppError } from '../../shared/errors.ts';

export interface KumarRossInput {
  fileBytes: number;
  serverUploadBytesPerSec: number;
  peerUploadBytesPerSec: readonly number[];
  peerDownloadBytesPerSec: readonly number[];
}

export interface KumarRossTerms {
  /** F/u_s */
  serverSeconds: number;
  /** F/d_min */
  slowestDownloadSeconds: number;
  /** N·F/(u_s + Σu_i) */
  aggregateUploadSeconds: number;
  boundSeconds: number;
  dominant: 'server' | 'slowest_download' | 'aggregate_upload';
}

function invalid(message: string): AppError {
  return new AppError('invalid_bound_input', message);
}

function checkBytes(fileBytes: number): void {
  if (!(Number.isFinite(fileBytes) && fileBytes >= 0)) throw invalid('fileBytes must be a finite number ≥ 0');
}

function checkRate(name: string, rate: number, allowZero: boolean): void {
  if (Number.isNaN(rate) || rate < 0 || (!allowZero && rate === 0)) {
    throw invalid(`${name} must be a rate in bytes/s ${allowZero ? '≥' : '>'} 0`);
  }
}

function minDownload(rates: readonly number[]): number {
  let min = Number.POSITIVE_INFINITY;
  for (const d of rates) {
    checkRate('every peer download', d, false);
    if (d < min) min = d;
  }
  return min;
}

/** The three Kumar–Ross terms, which one dominates, and the bound (their maximum). */
export function kumarRossTerms(i: KumarRossInput): KumarRossTerms {
  checkBytes(i.fileBytes);
  checkRate('serverUploadBytesPerSec', i.serverUploadBytesPerSec, false);
  const n = i.peerDownloadBytesPerSec.length;
  if (i.peerUploadBytesPerSec.length !== n) {
    throw invalid('peerUploadBytesPerSec and peerDownloadBytesPerSec must list the same printers');
  }
  const f = i.fileBytes;
  if (n === 0) {
    return {
      serverSeconds: 0,
      slowestDownloadSeconds: 0,
      aggregateUploadSeconds: 0,
      boundSeconds: 0,
      dominant: 'server',
    };
  }
  let uploadSum = i.serverUploadBytesPerSec;
  for (const u of i.peerUploadBytesPerSec) {
    checkRate('every peer upload', u, true);
    uploadSum += u;
  }
  const serverSeconds = f / i.serverUploadBytesPerSec;
  const slowestDownloadSeconds = f / minDownload(i.peerDownloadBytesPerSec);
  const aggregateUploadSeconds = (n * f) / uploadSum;
  const boundSeconds = Math.max(serverSeconds, slowestDownloadSeconds, aggregateUploadSeconds);
  const dominant =
    boundSeconds === serverSeconds
      ? 'server'
      : boundSeconds === slowestDownloadSeconds
        ? 'slowest_download'
        : 'aggregate_upload';
  return { serverSeconds, slowestDownloadSeconds, aggregateUploadSeconds, boundSeconds, dominant };
}

/** Kumar–Ross minimum distribution time, max{F/u_s, F/d_min, N·F/(u_s + Σu_i)}, in seconds. */
export function kumarRossSeconds(i: KumarRossInput): number {
  return kumarRossTerms(i).boundSeconds;
}

/** N·F/C (× airtimeFactor): the floor for any scheme sharing one medium of capacity C. */
export function sharedMediumSeconds(i: {
  fileBytes: number;
  printers: number;
  capacityBytesPerSec: number;
  /** 2 when every byte crosses the air twice (sender → access point → receiver); default 1. */
  airtimeFactor?: number;
}): number {
  checkBytes(i.fileBytes);
  checkRate('capacityBytesPerSec', i.capacityBytesPerSec, false);
  if (!(Number.isInteger(i.printers) && i.printers >= 0)) throw invalid('printers must be a whole number ≥ 0');
  const factor = i.airtimeFactor ?? 1;
  if (!(factor >= 1)) throw invalid('airtimeFactor must be ≥ 1');
  return (factor * i.printers * i.fileBytes) / i.capacityBytesPerSec;
}

/** Every printer pulls its own copy from the source: max{N·F/W, F/d_min}, in seconds. */
export function starPushSeconds(i: {
  fileBytes: number;
  serverUploadBytesPerSec: number;
  peerDownloadBytesPerSec: readonly number[];
}): number {
  checkBytes(i.fileBytes);
  checkRate('serverUploadBytesPerSec', i.serverUploadBytesPerSec, false);
  const n = i.peerDownloadBytesPerSec.length;
  if (n === 0) return 0;
  return Math.max((n * i.fileBytes) / i.serverUploadBytesPerSec, i.fileBytes / minDownload(i.peerDownloadBytesPerSec));
}
