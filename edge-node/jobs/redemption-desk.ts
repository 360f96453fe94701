/**
 * A station's redemption desk: the redemption service, with what shortens a fan's wait around it
 * when the printer keeps print-ready rasters (issue #16, scan → print): the warm-up that renders a
 * scanned order's (or a kiosk basket's) local photos while its claim (or payment) is on its way,
 * and the pre-renderer that renders the photos fans have paid for in the background, yielding to
 * redemptions, on-demand fetches and replication. The caller owns what it gets: it opens and closes the service, closes the pre-renderer.
 */
import { RASTER_CACHE_ENTRIES } from '../printing/raster-cache.ts';
import type { NodeMetrics } from '../status/node-metrics.ts';
import { PreRenderer } from './pre-renderer.ts';
import { RedemptionService, type RedemptionServiceOptions } from './redemption-service.ts';
import { type WarmUpDeps, type WarmUpLines, warmUpOrder, warmUpPhotos } from './scan-warm-up.ts';

export interface RedemptionDeskOptions extends Omit<RedemptionServiceOptions, 'warmUp' | 'onStage' | 'onPrintRender'> {
  metrics: NodeMetrics;
  /** Where a warm-up finds a scanned order and its photos (the local orders feed, the event replicas). */
  orders: Pick<WarmUpDeps, 'lookup' | 'replica'>;
  /** On-demand fetches under way: the pre-renderer waits for them. */
  onDemandActive: () => number;
  /** When replicated bytes last arrived (epoch ms): the pre-renderer waits for quiet. */
  lastReplicatedAt: () => number;
}

export interface RedemptionDesk {
  redemptions: RedemptionService;
  /** Null when the printer keeps no rasters ahead (a photo station renders for its own media). */
  preRenderer: PreRenderer | null;
  /** Renders a kiosk basket's photos held here while the fan pays; null without rasters ahead. */
  warmUpBasket: ((eventId: string, items: WarmUpLines) => Promise<number>) | null;
}

export function createRedemptionDesk(o: RedemptionDeskOptions): RedemptionDesk {
  const { metrics, orders, onDemandActive, lastReplicatedAt, ...service } = o;
  const { printer, clock, logger } = o;
  const prerender = printer.prerender?.bind(printer);
  const isPrerendered = printer.isPrerendered?.bind(printer);
  const renders = prerender && isPrerendered ? { prerender, isPrerendered } : null;
  const warmUpDeps: WarmUpDeps | null = renders ? { ...orders, ...renders } : null;
  const redemptions = new RedemptionService({
    ...service,
    ...(warmUpDeps ? { warmUp: (orderCode: string) => warmUpOrder(warmUpDeps, orderCode) } : {}),
    onStage: (stage, ms) => metrics.observeStage(stage, ms),
    onPrintRender: (when) => metrics.printsRendered.inc({ when }),
  });
  if (!warmUpDeps) return { redemptions, preRenderer: null, warmUpBasket: null };
  const preRenderer = new PreRenderer({
    clock,
    render: warmUpDeps.prerender,
    rendered: warmUpDeps.isPrerendered,
    busy: () => redemptions.queue > 0 || onDemandActive() > 0,
    // Quiet means no replicated bytes for a while; between two fans it renders (see PreRenderer).
    lastProgressAt: lastReplicatedAt,
    maxPhotos: printer.prerenderCapacity ?? RASTER_CACHE_ENTRIES,
    onError: (err, imageId) => logger.warn({ err, imageId }, 'could not render a photo ahead; it renders when printed'),
  });
  redemptions.on('idle', () => preRenderer.nudge());
  metrics.prerenderBacklogOf = () => preRenderer.backlog;
  const warmUpBasket = (eventId: string, items: WarmUpLines) => warmUpPhotos(warmUpDeps, eventId, items);
  return { redemptions, preRenderer, warmUpBasket };
}
