/**
 * What a print station's CPU allows (issue #16 item 4): the model's printers receive no faster than
 * their CPU verifies, decrypts and stores, and print no faster than they render.
 *
 *  - Replication: a swarm printer serves its LAN peers about as many bytes as it receives (every LAN
 *    byte received is a LAN byte served by someone, spread over the printers), so each received MB
 *    costs `cpuMsPerMb + cpuMsPerMbServed` of CPU. The highest receive rate is then
 *    `cores × 1000 / (cpuMsPerMb + cpuMsPerMbServed)` MB/s; the model caps the printer's download
 *    link there (below its port rate), which also makes it the d_i of the Kumar–Ross bound: a byte a
 *    printer cannot verify has not arrived.
 *  - Printing: a unit's render (`cpuMsPerPrint`) overlaps the print before it, so a print takes
 *    `max(printSeconds, cpuMsPerPrint / 1000 / cores)`.
 *  - The venue question ("is this station fast enough for 40 photos a minute?"): `stationLoad` gives
 *    the CPU share replication and printing need at a given upload and print rate.
 */
import type { PrinterModel } from '../scenario-venue.ts';

const BYTES_PER_MB = 1_000_000;
/** Above this CPU share a station falls behind on bursts and on fans' on-demand fetches. */
export const STATION_CPU_HEADROOM = 0.8;

/**
 * CPU ms a station of this model spends per MB it receives: receiving it, and serving `servedShare`
 * of it to its peers. The model charges the default, a swarm serving about what it receives;
 * sim:validate compares the emulation against the share its LAN actually served.
 */
export function cpuMsPerMbReceived(m: PrinterModel, servedShare = 1): number {
  return (m.cpuMsPerMb ?? 0) + (m.cpuMsPerMbServed ?? 0) * servedShare;
}

/** A printer model's cores when it states none: one Node.js event loop verifies and stores. */
export const DEFAULT_PRINTER_CORES = 1;
export function coresOf(m: PrinterModel): number {
  return m.cores ?? DEFAULT_PRINTER_CORES;
}

/** Receive rate the station's CPU allows, in bytes/s (+Infinity when the model states no CPU cost). */
export function cpuReceiveBytesPerSec(m: PrinterModel): number {
  if (m.cpuMsPerMb === undefined) return Number.POSITIVE_INFINITY;
  return (coresOf(m) * 1000 * BYTES_PER_MB) / cpuMsPerMbReceived(m);
}

/** Seconds per print, the render included when it is slower than the printer. */
export function effectivePrintSeconds(m: PrinterModel): number {
  const renderS = (m.cpuMsPerPrint ?? 0) / 1000 / coresOf(m);
  return Math.max(m.printSeconds, renderS);
}

export interface StationLoadInput {
  model: PrinterModel;
  /** New photos the venue's photographers publish per minute (each replicated to every station). */
  photosPerMinute: number;
  meanPhotoBytes: number;
  /** Prints this station makes per minute (0 when only replication is asked about). */
  printsPerMinute: number;
}

export interface StationLoad {
  /** Cores busy with replication and rendering, as a share of the station's cores. */
  cpuShare: number;
  replicationCpuShare: number;
  renderCpuShare: number;
  /** Prints per minute the printer itself can make. */
  printCapacityPerMinute: number;
  /** Seconds of CPU to take in one photo (all its bytes). */
  secondsPerPhoto: number;
  fastEnough: boolean;
  /** Why not, in words a venue operator can act on; empty when fast enough. */
  reasons: string[];
}

export function stationLoad(i: StationLoadInput): StationLoad {
  const m = i.model;
  const cores = coresOf(m);
  const mbPerPhoto = i.meanPhotoBytes / BYTES_PER_MB;
  const secondsPerPhoto = (mbPerPhoto * cpuMsPerMbReceived(m)) / 1000;
  const replicationCpuShare = (i.photosPerMinute * secondsPerPhoto) / 60 / cores;
  const renderCpuShare = (i.printsPerMinute * (m.cpuMsPerPrint ?? 0)) / 1000 / 60 / cores;
  const cpuShare = replicationCpuShare + renderCpuShare;
  const printCapacityPerMinute = 60 / effectivePrintSeconds(m);
  const reasons: string[] = [];
  if (cpuShare > STATION_CPU_HEADROOM) {
    reasons.push(
      `CPU ${(cpuShare * 100).toFixed(0)} % busy (replication ${(replicationCpuShare * 100).toFixed(0)} %, ` +
        `rendering ${(renderCpuShare * 100).toFixed(0)} %), above the ${STATION_CPU_HEADROOM * 100} % that leaves room for bursts and fans' fetches`,
    );
  }
  if (i.printsPerMinute > printCapacityPerMinute) {
    reasons.push(
      `${i.printsPerMinute} prints a minute asked, the printer makes ${printCapacityPerMinute.toFixed(1)}: add a printer to the station`,
    );
  }
  return {
    cpuShare,
    replicationCpuShare,
    renderCpuShare,
    printCapacityPerMinute,
    secondsPerPhoto,
    fastEnough: reasons.length === 0,
    reasons,
  };
}
