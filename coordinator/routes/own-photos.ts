import { readFile, rm } from 'node:fs/promises';
import type Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import { AppError, isAppError } from '../../shared/errors.ts';
import { isOwnPhotoPin, normalizeOwnPhotoCode, ownPhotoQrText } from '../../shared/own-photos/job-code.ts';
import { LISTED_OWN_PHOTO_STATES } from '../../shared/policy/own-photo-job.ts';
import { ownPhotoFailedRequestSchema, ownPhotoLookupRequestSchema } from '../../shared/protocol/own-photo-api.ts';
import type { CoordinatorDeps } from '../deps.ts';
import type { StaffIdentity } from '../http/auth.ts';
import { requirePrinter, requireStaff } from '../http/auth.ts';
import { ClientByteBudget } from '../http/client-byte-budget.ts';
import { clientKeyOf } from '../http/client-key.ts';
import { ClientRateLimiter } from '../http/client-rate-limiter.ts';
import { limitPerClient } from '../http/limit-per-client.ts';
import { UploadLimiter } from '../http/upload-limiter.ts';
import { parseInput } from '../http/validate.ts';
import { processImageFrom } from '../media/image-pipeline.ts';
import { drainOrCut, readMultipartUpload } from '../media/multipart.ts';
import type { Services } from '../services/index.ts';
import { ownPhotoSales } from '../services/own-photo-view.ts';
import type { OwnPhotoOwner, OwnPhotoUpload } from '../services/own-photos.ts';
import { MAX_OWN_PHOTO_JOBS_LISTED } from '../services/own-photos.ts';
import type { PrinterRecord } from '../store/records.ts';
import { qrSvg } from '../tokens/qr.ts';
import { opsPage, sendHtml } from '../web/ops/layout.ts';
import { staffPage } from '../web/ops/page-auth.ts';
import { ownPhotosBody } from '../web/ops/pages/own-photos.ts';
import type { AssetTable } from '../web/shop/assets.ts';
import { setPageHeaders } from '../web/shop/layout.ts';
import { OWN_PHOTOS_PATH, ownPhotosPage } from '../web/shop/views-own-photos.ts';

/** Uploads (jobs) per client address: a venue's guest Wi-Fi puts many fans behind one address. */
export const OWN_PHOTO_UPLOAD_BURST = 30;
export const OWN_PHOTO_UPLOAD_REFILL_MS = 20_000;
/** Own-photo uploads being received or decoded at once, per client address and in all. */
export const MAX_OWN_PHOTO_UPLOADS_IN_FLIGHT_PER_CLIENT = 1;
export const MAX_OWN_PHOTO_UPLOADS_IN_FLIGHT = 4;
/** The phone's cookie: its code, PIN and upload secret (the page shows code and PIN back to it). */
export const OWN_PHOTO_COOKIE = 'vpm_own';
const COOKIE_VALUE = /^([0-9A-Z]{6})\.([0-9]{4})\.([A-Za-z0-9_-]{16,64})$/;
const DAY_MS = 86_400_000;
const imageIndex = z.coerce.number().int().min(0).max(999);

/**
 * "Print your own photos" (issue #13 item 3): the fan's phone page and upload, the printer API a
 * kiosk uses to find, pay, release and print a job, and the operators' list. Decisions are in
 * services/own-photos.ts; this maps HTTP onto them.
 */
export function ownPhotoRoutes(router: Router, deps: CoordinatorDeps, services: Services, assets: AssetTable): void {
  const { ownPhotos } = services;
  const printer = requirePrinter(deps.store, deps.clock);
  const operator = requireStaff(deps.store, ['operator']);
  const rate = new ClientRateLimiter({ burst: OWN_PHOTO_UPLOAD_BURST, refillMs: OWN_PHOTO_UPLOAD_REFILL_MS });
  const bytes = new ClientByteBudget({ bytesPerHour: ownPhotos.settings.clientBytesPerHour });
  const inFlight = new UploadLimiter({
    maxPerCredential: MAX_OWN_PHOTO_UPLOADS_IN_FLIGHT_PER_CLIENT,
    max: MAX_OWN_PHOTO_UPLOADS_IN_FLIGHT,
  });

  const renderPage = async (ctx: Context, error: string | null) => {
    const settings = ownPhotos.settings;
    if (!settings.enabled) throw new AppError('own_photos_disabled');
    const owner = readOwner(ctx);
    const jobs = owner ? await ownPhotos.jobsOfOwner(owner) : [];
    const live = jobs.some((j) => LISTED_OWN_PHOTO_STATES.includes(j.state));
    setPageHeaders(ctx, 'no-store');
    ctx.set('x-robots-tag', 'noindex');
    ctx.type = 'html';
    ctx.body = ownPhotosPage(assets, {
      ticket: owner && live ? { code: owner.code, pin: owner.pin } : null,
      jobs: [...jobs].reverse(),
      retentionHours: Math.round(settings.retentionMs / 3_600_000),
      maxPhotosPerJob: settings.maxPhotosPerJob,
      maxUploadMegabytes: Math.floor(deps.settings.imageLimits.maxUploadBytes / (1024 * 1024)),
      error,
      now: deps.clock.now(),
    });
  };

  router.get(OWN_PHOTOS_PATH, async (ctx) => {
    await renderPage(ctx, null);
  });

  // The phone's upload: a plain form post (303 back to the page) or fetch (JSON).
  router.post(`${OWN_PHOTOS_PATH}/upload`, async (ctx) => {
    const wantsPage = (ctx.get('accept') || '').includes('text/html');
    try {
      if (!ownPhotos.settings.enabled) throw new AppError('own_photos_disabled');
      limitPerClient(ctx, rate, deps.clock.now(), 'too_many_own_photo_uploads');
      const waitMs = bytes.retryAfterMs(ctx.ip, deps.clock.now());
      if (waitMs > 0) {
        throw new AppError('too_many_own_photo_uploads', 'This phone or network uploaded a lot already; try later.', {
          retryAfterSeconds: Math.ceil(waitMs / 1000),
        });
      }
      const { job, owner } = await receive(ctx, deps, services, inFlight, (n) =>
        bytes.spend(ctx.ip, n, deps.clock.now()),
      );
      ctx.append('set-cookie', ownerCookie(ctx, owner, ownPhotos.settings.retentionMs));
      if (wantsPage) {
        ctx.status = 303;
        ctx.redirect(OWN_PHOTOS_PATH);
        return;
      }
      ctx.status = 201;
      ctx.body = { job: { id: job.id, state: job.state, expiresAt: job.expiresAt }, code: owner.code, pin: owner.pin };
    } catch (err) {
      if (!isAppError(err) || err.status >= 500) throw err;
      drainOrCut(ctx.req);
      const seconds = err.details?.retryAfterSeconds;
      if (typeof seconds === 'number') ctx.set('retry-after', String(seconds));
      if (!wantsPage) throw err;
      await renderPage(ctx, err.message);
      ctx.status = err.status;
    }
  });

  router.get(`${OWN_PHOTOS_PATH}/qr.svg`, async (ctx) => {
    const owner = readOwner(ctx);
    if (!owner) throw new AppError('own_photo_job_not_found');
    ctx.set('cache-control', 'no-store');
    ctx.type = 'image/svg+xml';
    ctx.body = await qrSvg(ownPhotoQrText(owner.code, owner.pin));
  });

  router.get(`${OWN_PHOTOS_PATH}/jobs/:jobId/:n/thumb.jpg`, async (ctx) => {
    const owner = readOwner(ctx);
    const mine = owner ? await ownPhotos.jobsOfOwner(owner) : [];
    if (!mine.some((j) => j.id === ctx.params.jobId)) throw new AppError('own_photo_job_not_found');
    const media = await ownPhotos.thumbnail(ctx.params.jobId!, parseInput(imageIndex, ctx.params.n, 'photo number'));
    ctx.set('cache-control', 'private, max-age=3600');
    ctx.type = media.contentType;
    ctx.body = media.bytes;
  });

  // --- the printer API (signed by a paired printer) ---
  const base = '/api/printer/own-photos';
  const who = (ctx: Context) => ctx.state.printer as PrinterRecord;

  router.post(`${base}/lookup`, printer, async (ctx) => {
    const input = parseInput(ownPhotoLookupRequestSchema, ctx.request.body);
    try {
      ctx.body = await ownPhotos.lookup(who(ctx), input.code, input.pin);
    } catch (err) {
      const retryAfter = isAppError(err, 'own_photo_pin_locked') ? err.details?.retryAfterSeconds : undefined;
      if (retryAfter !== undefined) ctx.set('retry-after', String(retryAfter));
      throw err;
    }
  });
  router.get(`${base}/jobs/:jobId`, printer, async (ctx) => {
    ctx.set('cache-control', 'no-store');
    ctx.body = await ownPhotos.job(who(ctx), ctx.params.jobId!);
  });
  router.get(`${base}/jobs/:jobId/images/:n/thumbnail`, printer, async (ctx) => {
    const media = await ownPhotos.thumbnail(ctx.params.jobId!, parseInput(imageIndex, ctx.params.n, 'photo number'));
    ctx.type = media.contentType;
    ctx.body = media.bytes;
  });
  router.post(`${base}/jobs/:jobId/checkout`, printer, async (ctx) => {
    ctx.body = await ownPhotos.startCheckout(who(ctx), ctx.params.jobId!);
  });
  router.post(`${base}/jobs/:jobId/release`, printer, async (ctx) => {
    ctx.body = await ownPhotos.release(who(ctx), ctx.params.jobId!);
  });
  router.get(`${base}/jobs/:jobId/images/:n`, printer, async (ctx) => {
    const n = parseInput(imageIndex, ctx.params.n, 'photo number');
    const media = await ownPhotos.image(who(ctx), ctx.params.jobId!, n);
    ctx.set('cache-control', 'no-store');
    ctx.type = media.contentType;
    ctx.body = media.bytes;
  });
  router.post(`${base}/jobs/:jobId/printed`, printer, async (ctx) => {
    ctx.body = await ownPhotos.complete(who(ctx), ctx.params.jobId!);
  });
  router.post(`${base}/jobs/:jobId/failed`, printer, async (ctx) => {
    const input = parseInput(ownPhotoFailedRequestSchema, ctx.request.body);
    ctx.body = await ownPhotos.fail(who(ctx), ctx.params.jobId!, input.reason);
  });

  // --- operators ---
  router.get('/ops/own-photos', staffPage(deps.store, ['operator']), async (ctx) => {
    const [jobs, printers] = await Promise.all([ownPhotos.listForConsole(), deps.store.listPrinters()]);
    const body = ownPhotosBody({
      jobs,
      sales: ownPhotoSales(jobs, deps.clock.now() - DAY_MS),
      printers,
      retentionHours: Math.round(ownPhotos.settings.retentionMs / 3_600_000),
      limit: MAX_OWN_PHOTO_JOBS_LISTED,
      now: deps.clock.now(),
    });
    const staff = ctx.state.staff as StaffIdentity;
    sendHtml(ctx, 200, opsPage({ title: 'Own photos', staff, current: 'own-photos', body }));
  });
  router.get('/api/own-photos', operator, async (ctx) => {
    const jobs = await ownPhotos.listForConsole();
    ctx.set('cache-control', 'no-store');
    ctx.body = {
      jobs: jobs.map((j) => ({
        id: j.id,
        code: j.code,
        state: j.state,
        photos: j.images.length,
        createdAt: j.createdAt,
        expiresAt: j.expiresAt,
        fee: j.quote,
        paidAt: j.paidAt,
        heldBy: j.state === 'released' ? (j.release?.printerId ?? null) : null,
        printedAt: j.printedAt,
        printedBy: j.printedBy,
        imagesDeletedAt: j.imagesDeletedAt,
        failures: j.failures.length,
      })),
    };
  });
}

/** Reads the upload: every file through the photographers' checks (content type, size, pixels, bombs). */
async function receive(
  ctx: Context,
  deps: CoordinatorDeps,
  services: Services,
  inFlight: UploadLimiter,
  charge: (bytes: number) => void,
) {
  const settings = services.ownPhotos.settings;
  let release: () => void;
  try {
    release = inFlight.acquire(clientKeyOf(ctx.ip));
  } catch (err) {
    if (!isAppError(err, 'too_many_uploads')) throw err;
    throw new AppError('too_many_own_photo_uploads', 'An upload from this phone is still running; wait for it.', {
      retryAfterSeconds: err.details?.retryAfterSeconds ?? 1,
    });
  }
  const spooled: string[] = [];
  try {
    const upload = await readMultipartUpload(ctx.req, {
      maxFileBytes: deps.settings.imageLimits.maxUploadBytes,
      maxFiles: settings.maxPhotosPerJob,
      ...(deps.settings.uploadSpoolDir ? { spoolDir: deps.settings.uploadSpoolDir } : {}),
    });
    for (const f of upload.files) if (f.path) spooled.push(f.path);
    // Charged for what was sent, accepted or not: refused files cost the coordinator as much.
    charge(upload.files.reduce((n, f) => n + f.byteLength, 0));
    const photos: OwnPhotoUpload[] = [];
    for (const file of upload.files) {
      const processed = await processImageFrom(
        async () => (file.path ? await readFile(file.path) : file.bytes),
        deps.settings.imageLimits,
      );
      photos.push({ ...processed, originalName: file.fileName });
    }
    return await services.ownPhotos.createJob(photos, readOwner(ctx));
  } finally {
    for (const path of spooled) await rm(path, { force: true });
    release();
  }
}

function readOwner(ctx: Context): OwnPhotoOwner | null {
  const match = COOKIE_VALUE.exec(ctx.cookies.get(OWN_PHOTO_COOKIE) ?? '');
  if (!match) return null;
  const code = normalizeOwnPhotoCode(match[1]!);
  if (!code || !isOwnPhotoPin(match[2]!)) return null;
  return { code, pin: match[2]!, secret: match[3]! };
}

/** HttpOnly, SameSite=Lax (the page is reached from links), only for the own-photo pages, as long as the jobs live. */
function ownerCookie(ctx: Context, owner: OwnPhotoOwner, retentionMs: number): string {
  const parts = [
    `${OWN_PHOTO_COOKIE}=${owner.code}.${owner.pin}.${owner.secret}`,
    `Path=${OWN_PHOTOS_PATH}`,
    'HttpOnly',
    'SameSite=Lax',
    `Max-Age=${Math.floor(retentionMs / 1000)}`,
  ];
  if (ctx.protocol === 'https') parts.push('Secure');
  return parts.join('; ');
}
