/**
 * The workload of one run, drawn from the scenario and the seed before any strategy runs: image
 * sizes and upload times, and every order (what, when bought, when and where redeemed). All
 * strategies of a seed see the same workload (common random numbers), so their differences come
 * from the strategy, not from the dice.
 */
import { AppError } from '../../shared/errors.ts';
import { FEED_BLOCK_BYTES } from '../../shared/feed/feed-block.ts';
import { seededRng } from '../../shared/policy/prng.ts';
import { type Scenario, totalPrinters, uploadBatches } from '../scenario.ts';
import { pickFromCdf, sample, sampleCount, zipfCdf } from './dist.ts';
import { BYTES_PER_MBIT } from './units.ts';

/** Attempts to draw a distinct image for an order before giving up on that item. */
const DISTINCT_DRAW_ATTEMPTS = 16;

export interface UploadBatch {
  index: number;
  atS: number;
  first: number;
  count: number;
  bytes: number;
}

export interface OrderSpec {
  id: number;
  purchaseAt: number;
  redeemAt: number;
  images: Int32Array;
  copies: Int32Array;
  /** The printer nearest the fan's seat (used by the "nearest" choice). */
  seat: number;
  /** A printer named by an explicit order, else -1. */
  fixedPrinter: number;
}

export interface Workload {
  images: number;
  imageBytes: Float64Array;
  /**
   * Per image: when it is on the feed (for sale, and visible to the printers). Its batch's time,
   * or later when photos are published one after the other (`event.publishMbps`, or the times an
   * emulation measured: `withPublicationTimes`); never decreasing in upload order.
   */
  uploadAt: Float64Array;
  batchOf: Int32Array;
  /** First 64 KiB feed block of each image: images are appended to the blobs core in upload order. */
  firstBlock: Float64Array;
  batches: UploadBatch[];
  uniqueBytes: number;
  orders: OrderSpec[];
}

export function buildWorkload(s: Scenario, seed: number): Workload {
  const sizeRng = seededRng(`${seed}/images`);
  const specs = uploadBatches(s);
  const images = specs.reduce((n, b) => n + b.images, 0);
  const imageBytes = new Float64Array(images);
  const uploadAt = new Float64Array(images);
  const batchOf = new Int32Array(images);
  const firstBlock = new Float64Array(images);
  const batches: UploadBatch[] = [];
  const publishBytesPerSec = s.event.publishMbps === undefined ? 0 : s.event.publishMbps * BYTES_PER_MBIT;
  let i = 0;
  let block = 0;
  let uniqueBytes = 0;
  // The photographer's uploads go one after the other: a batch due while the last is still going
  // waits for it.
  let publishedUntil = 0;
  specs.forEach((spec, b) => {
    const batch: UploadBatch = { index: b, atS: spec.atS, first: i, count: spec.images, bytes: 0 };
    for (let k = 0; k < spec.images; k++, i++) {
      const bytes = Math.max(1, Math.round(sample(s.event.imageSizeBytes, sizeRng)));
      imageBytes[i] = bytes;
      if (publishBytesPerSec > 0) {
        publishedUntil = Math.max(publishedUntil, spec.atS) + bytes / publishBytesPerSec;
        uploadAt[i] = publishedUntil;
      } else uploadAt[i] = spec.atS;
      batchOf[i] = b;
      firstBlock[i] = block;
      block += Math.ceil(bytes / FEED_BLOCK_BYTES);
      batch.bytes += bytes;
    }
    uniqueBytes += batch.bytes;
    batches.push(batch);
  });
  const w: Workload = { images, imageBytes, uploadAt, batchOf, firstBlock, batches, uniqueBytes, orders: [] };
  w.orders = buildOrders(s, seed, w);
  return w;
}

/**
 * The same workload (photos, sizes, orders) with each photo on the feed at the given time: a model
 * run replaying the publication an emulation run measured, so that both count from the same moments.
 */
export function withPublicationTimes(w: Workload, publishedAtS: ArrayLike<number>): Workload {
  if (publishedAtS.length !== w.images) {
    throw new AppError(
      'invalid_publication_times',
      `Expected a publication time for each of the ${w.images} images, got ${publishedAtS.length}.`,
    );
  }
  const uploadAt = Float64Array.from(publishedAtS);
  let previous = 0;
  for (let i = 0; i < w.images; i++) {
    const due = w.batches[w.batchOf[i]!]!.atS;
    if (!(Number.isFinite(uploadAt[i]!) && uploadAt[i]! >= due && uploadAt[i]! >= previous)) {
      throw new AppError(
        'invalid_publication_times',
        `Image ${i} is published at ${uploadAt[i]} s: expected a time no earlier than its batch (${due} s) and the image before it (${previous} s).`,
      );
    }
    previous = uploadAt[i]!;
  }
  return { ...w, uploadAt };
}

/** How many images are on the feed at time t (publication never decreases in upload order). */
function publishedBy(w: Workload, t: number): number {
  let lo = 0;
  let hi = w.images;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (w.uploadAt[mid]! <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Index of the last batch uploaded at or before t, or -1. */
function batchAt(batches: readonly UploadBatch[], t: number): number {
  let lo = 0;
  let hi = batches.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (batches[mid]!.atS <= t) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

function buildOrders(s: Scenario, seed: number, w: Workload): OrderSpec[] {
  const rng = seededRng(`${seed}/orders`);
  const printers = totalPrinters(s);
  const seats = zipfCdf(printers, s.redemption.hotspotSkew);
  // Not clamped to durationS: a fan may come after the event's end (background work has stopped).
  const redeemAt = (purchaseAt: number): number =>
    Math.max(purchaseAt + sample(s.redemption.delayS, rng), s.redemption.notBeforeS ?? 0);
  const o = s.orders;
  if (o.kind === 'explicit') {
    return o.list.map((e, id) => ({
      id,
      purchaseAt: e.purchaseAtS,
      redeemAt: e.redeemAtS ?? redeemAt(e.purchaseAtS),
      images: Int32Array.from(e.images),
      copies: new Int32Array(e.images.length).fill(e.copies),
      seat: e.printer ?? pickFromCdf(seats, rng.next()),
      fixedPrinter: e.printer ?? -1,
    }));
  }
  const firstUpload = w.batches[0]?.atS ?? 0;
  const times = new Float64Array(o.count);
  for (let k = 0; k < o.count; k++) {
    times[k] = Math.max(firstUpload, o.purchase.startS + (o.purchase.endS - o.purchase.startS) * rng.next());
  }
  // Sorted uniform times are a homogeneous Poisson process conditioned on its count.
  times.sort();
  const orders: OrderSpec[] = [];
  const picked = new Set<number>();
  for (let id = 0; id < o.count; id++) {
    const purchaseAt = times[id]!;
    const last = batchAt(w.batches, purchaseAt);
    // Only photos on the feed can be bought: a batch still being published offers its first ones.
    const available = publishedBy(w, purchaseAt);
    if (available === 0) continue;
    const items = Math.min(available, sampleCount(o.itemsPerOrder, rng, 1));
    picked.clear();
    const chosen: number[] = [];
    for (let k = 0; k < items; k++) {
      for (let attempt = 0; attempt < DISTINCT_DRAW_ATTEMPTS; attempt++) {
        const img = pickImage(o.popularity, w, last, purchaseAt, available, rng.next(), rng.next());
        if (picked.has(img)) continue;
        picked.add(img);
        chosen.push(img);
        break;
      }
    }
    const copies = new Int32Array(chosen.length);
    for (let k = 0; k < copies.length; k++) copies[k] = sampleCount(o.copiesPerItem, rng, 1);
    orders.push({
      id: orders.length,
      purchaseAt,
      redeemAt: redeemAt(purchaseAt),
      images: Int32Array.from(chosen),
      copies,
      seat: pickFromCdf(seats, rng.next()),
      fixedPrinter: -1,
    });
  }
  return orders;
}

function pickImage(
  popularity: Extract<Scenario['orders'], { kind: 'generated' }>['popularity'],
  w: Workload,
  lastBatch: number,
  purchaseAt: number,
  available: number,
  u1: number,
  u2: number,
): number {
  if (popularity.kind === 'uniform') return Math.floor(u1 * available);
  // Recency: the photo's age at purchase is exponential with the given half-life; the photo is
  // drawn uniformly from the batch that was newest at that age.
  const age = (-popularity.halfLifeS / Math.LN2) * Math.log(1 - u1);
  const b = Math.max(0, Math.min(lastBatch, batchAt(w.batches, purchaseAt - age)));
  const batch = w.batches[b]!;
  return Math.min(available - 1, batch.first + Math.floor(u2 * batch.count));
}
