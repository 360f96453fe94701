import { z } from 'zod';
import type { ImageRecord } from '../store/records.ts';

/**
 * Which of an event's images a fan asked for: by photographer, by capture window, newer than a
 * moment ("new photos since I last looked"), in pages. Shared by the JSON list, the gallery page
 * and the live stream, so the three can never disagree about what a filter means.
 */

export const MAX_IMAGES_PAGE = 200;
const MAX_PHOTOGRAPHER_CHARS = 200;
const CURSOR_PATTERN = /^(\d{1,16})\.([A-Za-z0-9_-]{1,64})$/;
const TIME_HINT = 'must be a time: milliseconds since 1970 or ISO 8601 such as 2025-06-01T19:30:00Z';

/** Forms submit "Everyone" / "Any time" as an empty value: that means "no filter". */
const blankToUndefined = (v: unknown) => (v === '' ? undefined : v);

const timeParam = z.preprocess(
  blankToUndefined,
  z
    .string()
    .max(40)
    .transform((s, ctx) => {
      const ms = /^\d{1,16}$/.test(s) ? Number(s) : Date.parse(s);
      if (!Number.isSafeInteger(ms) || ms < 0) {
        ctx.addIssue({ code: 'custom', message: TIME_HINT });
        return z.NEVER;
      }
      return ms;
    })
    .optional(),
);

const filterShape = {
  photographer: z.preprocess(blankToUndefined, z.string().max(MAX_PHOTOGRAPHER_CHARS).optional()),
  /** Taken at or after. */
  from: timeParam,
  /** Taken before. */
  to: timeParam,
  /** Registered strictly after: the "anything new?" poll. */
  since: timeParam,
};

function windowIsOrdered(q: { from?: number | undefined; to?: number | undefined }): boolean {
  return q.from === undefined || q.to === undefined || q.from < q.to;
}
const WINDOW_ISSUE = { message: 'must be after from', path: ['to'] };

export const imageFilterSchema = z.object(filterShape).strict().refine(windowIsOrdered, WINDOW_ISSUE);

export const imageQuerySchema = z
  .object({
    ...filterShape,
    order: z.preprocess(blankToUndefined, z.enum(['feed', 'newest', 'oldest']).default('feed')),
    limit: z.preprocess(blankToUndefined, z.coerce.number().int().min(1).max(MAX_IMAGES_PAGE).optional()),
    cursor: z.preprocess(
      blankToUndefined,
      z.string().regex(CURSOR_PATTERN, 'must be a nextCursor value from a previous page').optional(),
    ),
  })
  .strict()
  .refine(windowIsOrdered, WINDOW_ISSUE)
  // Feed order moves pending images when they are appended, so a cursor into it could skip some.
  .refine((q) => q.order !== 'feed' || (q.limit === undefined && q.cursor === undefined), {
    message: 'paging (limit, cursor) needs order=newest or order=oldest',
    path: ['order'],
  });

export type ImageQuery = z.infer<typeof imageQuerySchema>;
export type ImageFilter = z.infer<typeof imageFilterSchema>;

export function matchesImageFilter(image: ImageRecord, f: ImageFilter): boolean {
  if (f.photographer !== undefined && image.photographer !== f.photographer) return false;
  if (f.from !== undefined && image.createdAt < f.from) return false;
  if (f.to !== undefined && image.createdAt >= f.to) return false;
  if (f.since !== undefined && image.createdAt <= f.since) return false;
  return true;
}

export function imageCursor(image: ImageRecord): string {
  return `${image.createdAt}.${image.id}`;
}

/** Newest first: capture time, then id, so images registered in the same millisecond keep one order. */
function compareNewest(a: { createdAt: number; id: string }, b: { createdAt: number; id: string }): number {
  if (a.createdAt !== b.createdAt) return b.createdAt - a.createdAt;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/**
 * Applies a query to an event's images (as the store lists them, i.e. in feed order). Paging is by
 * key, not offset: images arriving between two pages never shift or repeat what the next page holds.
 */
export function selectImages(
  images: readonly ImageRecord[],
  q: ImageQuery,
): { images: ImageRecord[]; nextCursor: string | null } {
  let selected = images.filter((i) => matchesImageFilter(i, q));
  if (q.order === 'feed') return { images: selected, nextCursor: null };
  const direction = q.order === 'newest' ? 1 : -1;
  selected.sort((a, b) => direction * compareNewest(a, b));
  const cursor = q.cursor ? CURSOR_PATTERN.exec(q.cursor) : null;
  if (cursor) {
    const key = { createdAt: Number(cursor[1]), id: cursor[2]! };
    selected = selected.filter((i) => direction * compareNewest(key, i) < 0);
  }
  if (q.limit === undefined || selected.length <= q.limit) return { images: selected, nextCursor: null };
  const page = selected.slice(0, q.limit);
  return { images: page, nextCursor: imageCursor(page[page.length - 1]!) };
}

/** Distinct photographer names of an event, for the gallery filter. */
export function photographersOf(images: readonly ImageRecord[]): string[] {
  const names = new Set<string>();
  for (const i of images) if (i.photographer) names.add(i.photographer);
  return [...names].sort((a, b) => a.localeCompare(b));
}
