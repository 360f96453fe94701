import { escapeHtml, html, type SafeHtml, trustedHtml } from '../../../shared/web/html.ts';
import type { DeliveryMatrix } from '../../services/delivery.ts';

/**
 * The delivery matrix (images × printers, the patent's distribution status) as a heat map. Past a
 * few hundred photos one column per photo is unreadable, so photos are grouped into at most
 * MAX_HEATMAP_COLUMNS columns and each cell shows what share of its group the printer holds.
 */
export const MAX_HEATMAP_COLUMNS = 120;
const LABEL_WIDTH_PX = 170;
const PLOT_WIDTH_PX = 720;
const ROW_HEIGHT_PX = 24;
const AXIS_HEIGHT_PX = 22;

export interface HeatmapCell {
  /**
   * Photos of this column a printer can hold: those on the feed, plus any it reports holding (its
   * report may be newer than this coordinator's view of the feed).
   */
  available: number;
  held: number;
}

export interface Heatmap {
  imageCount: number;
  /** 1-based, inclusive photo positions per column. */
  columns: Array<{ from: number; to: number }>;
  rows: Array<{
    printerId: string;
    name: string;
    held: number;
    available: number;
    bytesNeeded: number;
    reportedAt: number | null;
    cells: HeatmapCell[];
  }>;
}

export function buildHeatmap(matrix: DeliveryMatrix, maxColumns = MAX_HEATMAP_COLUMNS): Heatmap {
  const n = matrix.images.length;
  const perColumn = Math.max(1, Math.ceil(n / maxColumns));
  const columns: Heatmap['columns'] = [];
  for (let from = 0; from < n; from += perColumn) columns.push({ from: from + 1, to: Math.min(n, from + perColumn) });
  const rows = matrix.printers
    .filter((p) => p.printer.revokedAt === null)
    .map((p) => {
      const cells = columns.map((c) => {
        let available = 0;
        let held = 0;
        for (let i = c.from - 1; i < c.to; i++) {
          if (p.holds[i]) held++;
          if (p.holds[i] || matrix.images[i]!.inFeed) available++;
        }
        return { available, held };
      });
      return {
        printerId: p.printer.id,
        name: p.printer.name,
        held: p.heldCount,
        available: cells.reduce((n, c) => n + c.available, 0),
        bytesNeeded: p.bytesNeeded,
        reportedAt: p.reportedAt,
        cells,
      };
    });
  return { imageCount: n, columns, rows };
}

/** Colour classes (ops.css) by share held; orange-to-blue so red-green colour blindness still reads. */
export type CellTone = 'none' | 'low' | 'high' | 'all' | 'pending';

export function cellTone(cell: HeatmapCell): CellTone {
  if (cell.available === 0) return 'pending';
  if (cell.held === cell.available) return 'all';
  if (cell.held === 0) return 'none';
  return cell.held * 2 >= cell.available ? 'high' : 'low';
}

export const TONE_LABEL: Readonly<Record<CellTone, string>> = {
  all: 'all held',
  high: 'half or more held',
  low: 'less than half held',
  none: 'none held',
  pending: 'not on the feed yet',
};

function photos(c: { from: number; to: number }): string {
  return c.from === c.to ? `photo ${c.from}` : `photos ${c.from}–${c.to}`;
}

export function heatmapSvg(map: Heatmap, title: string): SafeHtml {
  if (map.rows.length === 0 || map.columns.length === 0) {
    return html`<p class="muted">${map.rows.length === 0 ? 'No printers at this venue yet.' : 'No photos uploaded yet.'}</p>`;
  }
  const cellWidth = Math.max(4, Math.min(28, Math.floor(PLOT_WIDTH_PX / map.columns.length)));
  const width = LABEL_WIDTH_PX + cellWidth * map.columns.length;
  const height = AXIS_HEIGHT_PX + ROW_HEIGHT_PX * map.rows.length;
  const parts: string[] = [];
  const text = (s: string) => escapeHtml(s);
  parts.push(
    `<svg class="heatmap" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="hm-title hm-desc">`,
    `<title id="hm-title">${text(title)}</title>`,
    `<desc id="hm-desc">${text(`${map.rows.length} printers by ${map.imageCount} photos in ${map.columns.length} columns; the table below gives the same numbers.`)}</desc>`,
    `<text class="axis" x="${LABEL_WIDTH_PX}" y="15">photo 1</text>`,
    `<text class="axis" x="${width}" y="15" text-anchor="end">${map.imageCount}</text>`,
  );
  map.rows.forEach((row, r) => {
    const y = AXIS_HEIGHT_PX + r * ROW_HEIGHT_PX;
    const label = row.name.length > 22 ? `${row.name.slice(0, 21)}…` : row.name;
    parts.push(`<text class="label" x="${LABEL_WIDTH_PX - 8}" y="${y + 16}" text-anchor="end">${text(label)}</text>`);
    row.cells.forEach((cell, c) => {
      const tone = cellTone(cell);
      const col = map.columns[c]!;
      const detail = tone === 'pending' ? TONE_LABEL.pending : `${cell.held} of ${cell.available} held`;
      parts.push(
        `<rect class="cell tone-${tone}" x="${LABEL_WIDTH_PX + c * cellWidth}" y="${y + 2}" width="${Math.max(1, cellWidth - 1)}" height="${ROW_HEIGHT_PX - 4}"><title>${text(`${row.name}, ${photos(col)}: ${detail}`)}</title></rect>`,
      );
    });
  });
  parts.push('</svg>');
  return trustedHtml(parts.join(''));
}

export function heatmapLegend(): SafeHtml {
  const tones: CellTone[] = ['all', 'high', 'low', 'none', 'pending'];
  return html`<ul class="plain legend" aria-label="Colour key">${tones.map(
    (t) =>
      html`<li><svg width="14" height="14" aria-hidden="true"><rect class="cell tone-${t}" width="14" height="14"></rect></svg> ${TONE_LABEL[t]}</li>`,
  )}</ul>`;
}
