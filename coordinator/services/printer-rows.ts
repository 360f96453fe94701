import type { DetourStats } from '../../shared/protocol/photo-detour.ts';
import { type ParsedPrinterStatusReport, printerStatusReportSchema } from '../../shared/protocol/printer-api.ts';
import type { PrinterRecord, PrinterReportRecord } from '../store/records.ts';
import { type AlertThresholds, isOffline } from './liveness.ts';
import type { PhotoPrinterRow } from './station-rows.ts';

/** One dashboard row per printer: its record plus what it last reported, flattened for display. */

export interface EventProgress {
  eventId: string;
  eventName: string;
  imagesHeld: number;
  imagesTotal: number;
  /** Whole percent of the event's images held; 100 when the event has none yet. */
  percent: number;
  bytesNeeded: number;
  /** Replication lag: age of the oldest image not held yet; null when up to date. */
  lagMs: number | null;
}

export interface PrinterRow {
  id: string;
  name: string;
  venueId: string;
  venueName: string;
  pairedAt: number;
  revoked: boolean;
  online: boolean;
  /** Last request of any kind (status report or other), whichever is later. */
  lastSeenAt: number | null;
  reportedAt: number | null;
  version: string | null;
  queue: number | null;
  printerState: string | null;
  printerDetail: string | null;
  lastError: string | null;
  /** Lines of its job log the printer could not read at its last start (absent from older printers). */
  jobLogDamagedLines?: number;
  bytesFromLan: number | null;
  bytesFromCloud: number | null;
  /** Bytes fetched per second (LAN + cloud) between the last two reports seen. */
  throughputBytesPerSec: number | null;
  lanPeers: number | null;
  cloudConnected: boolean | null;
  /**
   * Its detours (issue #16): fans' photos it took from printers off its photo overlay, and served to
   * them; absent from older printers.
   */
  photoDetours?: DetourStats;
  events: EventProgress[];
  /** A photo station's printers (issue #12); empty for a thermal-only node. */
  photoPrinters?: PhotoPrinterRow[];
}

type StatusReport = ParsedPrinterStatusReport;

/** The stored report, if it is one this version understands (an older edge node may send less). */
export function parseReport(record: PrinterReportRecord | undefined): StatusReport | null {
  if (!record) return null;
  const parsed = printerStatusReportSchema.safeParse(record.report);
  return parsed.success ? parsed.data : null;
}

export function totalFetchedBytes(report: StatusReport): number {
  return report.bytesFromLan + report.bytesFromCloud;
}

/**
 * Throughput from the byte counters of successive reports. Counters restart with the edge node, so a
 * counter that went down gives no rate rather than a negative one. Keeps one sample per printer.
 */
export class ThroughputTracker {
  readonly #last = new Map<string, { at: number; bytes: number; rate: number | null }>();

  observe(printerId: string, at: number, bytes: number): number | null {
    const prev = this.#last.get(printerId);
    if (prev && prev.at === at) return prev.rate;
    let rate: number | null = null;
    if (prev && at > prev.at && bytes >= prev.bytes) rate = ((bytes - prev.bytes) * 1000) / (at - prev.at);
    this.#last.set(printerId, { at, bytes, rate });
    return rate;
  }

  /** Drops printers no longer listed, so the map stays as small as the fleet. */
  retain(printerIds: ReadonlySet<string>): void {
    for (const id of this.#last.keys()) if (!printerIds.has(id)) this.#last.delete(id);
  }
}

export interface RowInputs {
  printers: readonly PrinterRecord[];
  reports: readonly PrinterReportRecord[];
  venueNames: ReadonlyMap<string, string>;
  eventNames: ReadonlyMap<string, string>;
  now: number;
  thresholds: AlertThresholds;
  throughput?: ThroughputTracker;
}

const byVenueThenName = (a: PrinterRow, b: PrinterRow) =>
  a.venueName.localeCompare(b.venueName, 'en', { numeric: true }) ||
  a.name.localeCompare(b.name, 'en', { numeric: true }) ||
  a.id.localeCompare(b.id);

/** Rows by venue and printer name (what an operator scans for), revoked printers last. */
export function buildPrinterRows(inputs: RowInputs): PrinterRow[] {
  const reports = new Map(inputs.reports.map((r) => [r.printerId, r]));
  const rows = inputs.printers.map((p): PrinterRow => {
    const record = reports.get(p.id);
    const report = parseReport(record);
    const reportedAt = record?.receivedAt ?? null;
    const lastSeenAt =
      p.lastSeenAt === null ? reportedAt : reportedAt === null ? p.lastSeenAt : Math.max(p.lastSeenAt, reportedAt);
    const throughput =
      report && record && inputs.throughput
        ? inputs.throughput.observe(p.id, record.receivedAt, totalFetchedBytes(report))
        : null;
    return {
      id: p.id,
      name: p.name,
      venueId: p.venueId,
      venueName: inputs.venueNames.get(p.venueId) ?? p.venueId,
      pairedAt: p.pairedAt,
      revoked: p.revokedAt !== null,
      online: p.revokedAt === null && !isOffline({ lastSeenAt, pairedAt: p.pairedAt }, inputs.now, inputs.thresholds),
      lastSeenAt,
      reportedAt,
      version: report?.version ?? null,
      queue: report?.queue ?? null,
      printerState: report?.printer.state ?? null,
      printerDetail: report?.printer.detail ?? null,
      lastError: report?.lastError ?? null,
      ...(report?.jobLogDamagedLines ? { jobLogDamagedLines: report.jobLogDamagedLines } : {}),
      bytesFromLan: report?.bytesFromLan ?? null,
      bytesFromCloud: report?.bytesFromCloud ?? null,
      throughputBytesPerSec: throughput,
      lanPeers: report?.lanPeers ?? null,
      cloudConnected: report?.cloudConnected ?? null,
      ...(report?.photoDetours ? { photoDetours: report.photoDetours } : {}),
      events: (report?.events ?? []).map((e) => ({
        eventId: e.eventId,
        eventName: inputs.eventNames.get(e.eventId) ?? e.eventId,
        imagesHeld: e.imagesHeld,
        imagesTotal: e.imagesTotal,
        percent: e.imagesTotal === 0 ? 100 : Math.floor((100 * Math.min(e.imagesHeld, e.imagesTotal)) / e.imagesTotal),
        bytesNeeded: e.bytesNeeded,
        lagMs: e.oldestMissingAgeMs,
      })),
      photoPrinters: report?.station?.printers ?? [],
    };
  });
  inputs.throughput?.retain(new Set(inputs.printers.map((p) => p.id)));
  rows.sort(byVenueThenName);
  return [...rows.filter((r) => !r.revoked), ...rows.filter((r) => r.revoked)];
}
