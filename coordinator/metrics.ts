import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { ORDER_STATES } from '../shared/policy/order-state.ts';
import type { FeedPort } from './feed/feed-port.ts';
import type { Store } from './store/port.ts';

/**
 * Prometheus metrics with conventional names (_seconds, _total, _bytes) and only low-cardinality
 * labels: never an order id. Gauges that mirror the store or the feeds are read at scrape time.
 */
export class CoordinatorMetrics {
  readonly registry = new Registry();
  readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  readonly redemptions: Counter<'outcome'>;
  readonly webhooks: Counter<'result'>;
  readonly imagesUploaded: Counter<'result'>;

  constructor(sources: { store: Store; feeds: FeedPort }) {
    const registers = [this.registry];
    this.httpDuration = new Histogram({
      name: 'vpm_http_request_duration_seconds',
      help: 'HTTP request latency by route template.',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      registers,
    });
    this.redemptions = new Counter({
      name: 'vpm_redemptions_total',
      help: 'Redemption attempts by outcome.',
      labelNames: ['outcome'],
      registers,
    });
    this.webhooks = new Counter({
      name: 'vpm_payment_webhooks_total',
      help: 'Payment webhooks by result.',
      labelNames: ['result'],
      registers,
    });
    this.imagesUploaded = new Counter({
      name: 'vpm_images_uploaded_total',
      help: 'Image uploads by result (new, duplicate, rejected).',
      labelNames: ['result'],
      registers,
    });
    new Gauge({
      name: 'vpm_orders',
      help: 'Orders by state.',
      labelNames: ['state'],
      registers,
      async collect() {
        const counts = await sources.store.countOrdersByState();
        for (const state of ORDER_STATES) this.set({ state }, counts[state]);
      },
    });
    const feedStats = () => sources.feeds.stats();
    new Gauge({
      name: 'vpm_feed_blocks',
      help: 'Blocks in each event blobs feed.',
      labelNames: ['event'],
      registers,
      async collect() {
        for (const s of await feedStats()) this.set({ event: s.eventId }, s.blobsLength);
      },
    });
    new Gauge({
      name: 'vpm_feed_bytes',
      help: 'Bytes in each event blobs feed.',
      labelNames: ['event'],
      registers,
      async collect() {
        for (const s of await feedStats()) this.set({ event: s.eventId }, s.blobsBytes);
      },
    });
  }
}
