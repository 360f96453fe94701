import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { RedemptionStage } from '../jobs/redemption-service.ts';

/** Seconds: from a pre-rendered print (a few ms) to a fetch from the cloud (seconds). */
const STAGE_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.35, 0.5, 1, 2.5, 5, 10];
/** Seconds from upload to printable here: live replication (about a second) to a catch-up (minutes). */
const ARRIVAL_BUCKETS_S = [0.5, 1, 2, 3, 5, 10, 20, 30, 60, 120, 300, 900];

/**
 * The edge node's counters, for its local /metrics (Prometheus conventions: _bytes, _total) and for
 * the status report it sends the coordinator.
 */
export class NodeMetrics {
  readonly registry = new Registry();
  readonly receivedBytes: Counter<'source'>;
  readonly redemptions: Counter<'outcome'>;
  readonly printsTotal: Counter;
  readonly servedBytes: Counter;
  readonly peers: Gauge<'kind'>;
  readonly imagesHeld: Gauge<'event'>;
  readonly bytesNeeded: Gauge<'event'>;
  readonly lagSeconds: Gauge<'event'>;
  readonly queue: Gauge;
  readonly printerState: Gauge<'state'>;
  readonly storageErrors: Counter<'kind'>;
  readonly jobLogDamagedLines: Gauge;
  readonly redemptionStages: Histogram<'stage'>;
  readonly printsRendered: Counter<'when'>;
  readonly prerenderBacklog: Gauge;
  readonly photoArrivalSeconds: Histogram;
  /** Photos the pre-renderer still has to render ahead (set by the node once it has one). */
  prerenderBacklogOf: () => number = () => 0;
  bytesFromLan = 0;
  bytesFromCloud = 0;
  bytesToLan = 0;

  constructor() {
    const registers = [this.registry];
    // The process's own: CPU, memory, event-loop delay and GC pauses (a slow print with its photo
    // rendered ahead is one of these).
    collectDefaultMetrics({ register: this.registry });
    this.receivedBytes = new Counter({
      name: 'vpm_edge_received_bytes_total',
      help: 'Feed bytes received, by source (lan, cloud).',
      labelNames: ['source'],
      registers,
    });
    this.redemptions = new Counter({
      name: 'vpm_edge_redemptions_total',
      help: 'Codes presented here, by outcome.',
      labelNames: ['outcome'],
      registers,
    });
    this.servedBytes = new Counter({
      name: 'vpm_edge_served_bytes_total',
      help: 'Feed bytes served to LAN peers.',
      registers,
    });
    this.printsTotal = new Counter({ name: 'vpm_edge_prints_total', help: 'Photos printed.', registers });
    this.peers = new Gauge({
      name: 'vpm_edge_peers',
      help: 'Connected peers by kind (lan, cloud).',
      labelNames: ['kind'],
      registers,
    });
    this.imagesHeld = new Gauge({
      name: 'vpm_edge_images_held',
      help: 'Whole images held, per event.',
      labelNames: ['event'],
      registers,
    });
    this.bytesNeeded = new Gauge({
      name: 'vpm_edge_bytes_needed',
      help: 'Bytes still to fetch, per event.',
      labelNames: ['event'],
      registers,
    });
    this.lagSeconds = new Gauge({
      name: 'vpm_edge_replication_lag_seconds',
      help: 'Age of the oldest image not yet held, per event (0 when up to date).',
      labelNames: ['event'],
      registers,
    });
    this.queue = new Gauge({ name: 'vpm_edge_queue_orders', help: 'Orders being printed here.', registers });
    this.storageErrors = new Counter({
      name: 'vpm_edge_storage_errors_total',
      help: 'Writes to the data directory that failed, by kind (disk_full, io_error).',
      labelNames: ['kind'],
      registers,
    });
    this.jobLogDamagedLines = new Gauge({
      name: 'vpm_edge_job_log_damaged_lines',
      help: 'Lines of the job log that could not be read at the last start (steps of orders unknown here).',
      registers,
    });
    this.redemptionStages = new Histogram({
      name: 'vpm_edge_redemption_stage_seconds',
      help: 'Time a redemption spent per stage: claim (code to claim logged), image (waiting for a unit’s photo), print (handing a unit to the printer), receipt.',
      labelNames: ['stage'],
      buckets: STAGE_BUCKETS_S,
      registers,
    });
    this.printsRendered = new Counter({
      name: 'vpm_edge_prints_rendered_total',
      help: 'Photo prints by when they were rendered: ahead (in the background) or at_print (on the fan’s wait).',
      labelNames: ['when'],
      registers,
    });
    this.prerenderBacklog = new Gauge({
      name: 'vpm_edge_prerender_backlog_photos',
      help: 'Photos held here that are not yet rendered for printing ahead of their redemption.',
      registers,
      collect: () => this.prerenderBacklog.set(this.prerenderBacklogOf()),
    });
    this.photoArrivalSeconds = new Histogram({
      name: 'vpm_edge_photo_arrival_seconds',
      help: 'From a photo’s registration at the coordinator until it was printable here (its catalog entry and every block local), photos that arrived while the node ran.',
      buckets: ARRIVAL_BUCKETS_S,
      registers,
    });
    this.printerState = new Gauge({
      name: 'vpm_edge_printer_state',
      help: '1 for the printer’s current state.',
      labelNames: ['state'],
      registers,
    });
  }

  observeStage(stage: RedemptionStage, ms: number): void {
    this.redemptionStages.observe({ stage }, ms / 1000);
  }

  countBytes(source: 'lan' | 'cloud' | 'served', bytes: number): void {
    if (source === 'served') {
      this.bytesToLan += bytes;
      this.servedBytes.inc(bytes);
      return;
    }
    if (source === 'lan') this.bytesFromLan += bytes;
    else this.bytesFromCloud += bytes;
    this.receivedBytes.inc({ source }, bytes);
  }
}
