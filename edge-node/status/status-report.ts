import type { PrinterStatusReport } from '../../shared/protocol/printer-api.ts';
import type { StationQueueReport } from '../../shared/protocol/station-queue.ts';
import type { StationReport } from '../../shared/protocol/station-report.ts';
import type { HoldingsScan } from '../mesh/event-replica.ts';
import type { VenueDht } from '../mesh/venue-dht.ts';
import type { VenueMesh } from '../mesh/venue-mesh.ts';
import type { OfflineRedemption } from '../offline/offline-redemption.ts';
import type { PrinterStatus } from '../printing/port.ts';
import { eventStatus } from './event-status.ts';
import type { NodeMetrics } from './node-metrics.ts';

export const EDGE_NODE_VERSION = '0.1.0';

/** What the status report reads; any part may be missing while the node starts or reopens its storage. */
export interface StatusSources {
  now: number;
  startedAt: number;
  metrics: NodeMetrics;
  scans: HoldingsScan[];
  mesh: VenueMesh | null;
  dht: VenueDht | null;
  queue: number;
  printer: PrinterStatus | null;
  lastError: string | null;
  offline: OfflineRedemption | null;
  jobLogDamagedLines: number;
  /** A photo station's printers (issue #12); absent on thermal-only nodes. */
  station?: StationReport;
  /** Its queue for fan routing (issue #16). */
  routing?: StationQueueReport;
}

/** The report the node sends the coordinator (PUT /api/printer/status) and shows at GET /status; updates the gauges. */
export async function buildStatusReport(s: StatusSources): Promise<PrinterStatusReport> {
  const { metrics } = s;
  const events = s.scans.map((scan) => eventStatus(scan, s.now));
  for (const e of events) {
    metrics.imagesHeld.set({ event: e.eventId }, e.imagesHeld);
    metrics.bytesNeeded.set({ event: e.eventId }, e.bytesNeeded);
    metrics.lagSeconds.set({ event: e.eventId }, (e.oldestMissingAgeMs ?? 0) / 1000);
  }
  const lanPeers = s.mesh?.lanPeers().length ?? 0;
  const cloudConnected = s.mesh?.cloudConnected() ?? false;
  metrics.peers.set({ kind: 'lan' }, lanPeers);
  metrics.peers.set({ kind: 'cloud' }, cloudConnected ? 1 : 0);
  metrics.queue.set(s.queue);
  metrics.jobLogDamagedLines.set(s.jobLogDamagedLines);
  const printer = s.printer ?? { state: 'offline', detail: 'not started' };
  return {
    version: EDGE_NODE_VERSION,
    uptimeMs: Math.max(0, s.now - s.startedAt),
    events,
    bytesFromLan: metrics.bytesFromLan,
    bytesFromCloud: metrics.bytesFromCloud,
    bytesToLan: metrics.bytesToLan,
    lanPeers,
    blockedPeers: s.mesh?.blockedPeers ?? 0,
    cloudConnected,
    queue: s.queue,
    printer: { state: printer.state, detail: printer.detail },
    lastError: s.lastError,
    dht: s.dht?.address ?? null,
    ...(s.offline ? { offline: await s.offline.status() } : {}),
    jobLogDamagedLines: s.jobLogDamagedLines,
    ...(s.station ? { station: s.station } : {}),
    ...(s.routing ? { routing: s.routing } : {}),
    ...(s.mesh ? { photoDetours: s.mesh.detours.stats } : {}),
  };
}
