/**
 * Tiny SVG chart writer for the simulator report: grouped bar charts and line charts as strings, so
 * the HTML report stays one self-contained file with no script or chart library at view time.
 * Coordinates live in a fixed viewBox and the SVG scales to its container, so charts stay readable
 * from a 360 px phone to a desktop.
 */

const WIDTH = 400;
const HEIGHT = 280;
const MARGIN = { left: 58, right: 12, top: 12, bottom: 50 };
/** Font sizes in viewBox units: at a 360 px phone (scale ≈ 0.84) these render at about 11–12 px. */
const TICK_FONT = 13;
const LABEL_FONT = 14;
const FONT = 'font-family="system-ui, sans-serif"';
/** Average glyph width at TICK_FONT, used to lay out the legend without measuring text. */
const LEGEND_CHAR_WIDTH_PX = 8;
const LEGEND_ROW_HEIGHT_PX = 20;
const MAX_POINTS_WITH_MARKERS = 40;

export function escapeXml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );
}

interface Frame {
  /** Unique within the page: used for the aria-labelledby ids. */
  id: string;
  title: string;
  description: string;
  xLabel: string;
  yLabel: string;
}

export interface BarSeries {
  name: string;
  color: string;
  values: number[];
  /** Half-widths drawn as error whiskers (e.g. 95 % CI), same length as values. */
  errors?: number[];
  /** Per-bar colours overriding `color` (one series coloured by group). */
  barColors?: string[];
}

export interface BarChart extends Frame {
  groups: string[];
  series: BarSeries[];
  /** A dashed horizontal reference line, e.g. the ideal WAN ratio 1.0. */
  reference?: { value: number; label: string };
}

export interface LineSeries {
  name: string;
  color: string;
  /** SVG stroke-dasharray, so lines differ by more than colour. */
  dash?: string;
  /** null y breaks the line (e.g. a batch that never completed). */
  points: Array<readonly [number, number | null]>;
}

export interface LineChart extends Frame {
  series: LineSeries[];
  /** 'log' clamps values ≤ 0 to the lowest tick. Default linear. */
  yScale?: 'linear' | 'log';
}

function niceStep(span: number, count: number): number {
  const raw = span / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  return ([1, 2, 5, 10].find((m) => m * magnitude >= raw) ?? 10) * magnitude;
}

/** About `count` round tick values (1, 2 or 5 × 10^k steps) inside [min, max]. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!(max > min)) return [min];
  const step = niceStep(max - min, count);
  const ticks: number[] = [];
  for (let v = Math.ceil(min / step - 1e-9) * step; v <= max + step * 1e-9; v += step) {
    ticks.push(Number(v.toPrecision(12)));
  }
  return ticks;
}

/** Ticks for a value axis from 0: the last tick is at or above `max`, so no bar or line leaves the plot. */
export function axisTicks(max: number, count = 5): number[] {
  if (!(max > 0)) return [0, 1];
  const step = niceStep(max, count);
  return niceTicks(0, Math.ceil(max / step - 1e-9) * step, count);
}

export function formatTick(value: number): string {
  const abs = Math.abs(value);
  if (abs >= 1e9) return `${trim(value / 1e9)}G`;
  if (abs >= 1e6) return `${trim(value / 1e6)}M`;
  if (abs >= 1e4) return `${trim(value / 1e3)}k`;
  return trim(value);
}

function trim(value: number): string {
  return String(Number(value.toPrecision(3)));
}

function legend(items: Array<{ name: string; color: string; dash?: string; line: boolean }>): {
  svg: string;
  height: number;
} {
  const parts: string[] = [];
  let x = MARGIN.left;
  let row = 0;
  for (const item of items) {
    const width = 22 + item.name.length * LEGEND_CHAR_WIDTH_PX + 14;
    if (x + width > WIDTH - MARGIN.right && x > MARGIN.left) {
      row++;
      x = MARGIN.left;
    }
    const y = MARGIN.top + row * LEGEND_ROW_HEIGHT_PX + 6;
    const swatch = item.line
      ? `<line x1="${x}" y1="${y}" x2="${x + 16}" y2="${y}" stroke="${item.color}" stroke-width="2.5"${
          item.dash ? ` stroke-dasharray="${item.dash}"` : ''
        }/>`
      : `<rect x="${x}" y="${y - 6}" width="16" height="12" fill="${item.color}"/>`;
    parts.push(`${swatch}<text x="${x + 22}" y="${y + 4}" font-size="${TICK_FONT}">${escapeXml(item.name)}</text>`);
    x += width;
  }
  return { svg: `<g class="legend">${parts.join('')}</g>`, height: (row + 1) * LEGEND_ROW_HEIGHT_PX + 6 };
}

interface Plot {
  top: number;
  bottom: number;
  left: number;
  right: number;
  y: (v: number) => number;
}

/** Linear from 0 to the last tick, or logarithmic between the first and last tick. */
function plotArea(legendHeight: number, ticks: number[], log = false): Plot {
  const top = MARGIN.top + legendHeight;
  const bottom = HEIGHT - MARGIN.bottom;
  const hi = ticks[ticks.length - 1] ?? 1;
  const lo = ticks[0] ?? 0;
  const y = log
    ? (v: number) => bottom - ((Math.log10(Math.max(v, lo)) - Math.log10(lo)) / Math.log10(hi / lo)) * (bottom - top)
    : (v: number) => bottom - (v / hi) * (bottom - top);
  return { top, bottom, left: MARGIN.left, right: WIDTH - MARGIN.right, y };
}

/** Decade ticks from 10^⌊log min⌋ to 10^⌈log max⌉ (min > 0), with 2 and 5 between when there are few decades. */
export function logTicks(min: number, max: number): number[] {
  const from = Math.floor(Math.log10(min) + 1e-9);
  const to = Math.max(from + 1, Math.ceil(Math.log10(max) - 1e-9));
  const multiples = to - from <= 2 ? [1, 2, 5] : [1];
  const ticks: number[] = [];
  for (let e = from; e <= to; e++) {
    for (const m of multiples) if (e < to || m === 1) ticks.push(Number((m * 10 ** e).toPrecision(12)));
  }
  return ticks;
}

function maxOf(values: number[], floor: number): number {
  return values.reduce((m, v) => (Number.isFinite(v) && v > m ? v : m), floor);
}

function minPositive(values: number[]): number {
  return values.reduce((m, v) => (Number.isFinite(v) && v > 0 && v < m ? v : m), Number.POSITIVE_INFINITY);
}

/** Data spanning more than this factor is best drawn on a log axis, so small values do not sit on the floor. */
const LOG_SCALE_SPAN = 30;

export function wantsLogScale(values: number[]): boolean {
  return maxOf(values, 0) / minPositive(values) > LOG_SCALE_SPAN;
}

function yAxis(plot: Plot, ticks: number[], label: string): string {
  const lines = ticks.map((t) => {
    const y = plot.y(t).toFixed(1);
    return (
      `<line x1="${plot.left}" y1="${y}" x2="${plot.right}" y2="${y}" stroke="#ddd"/>` +
      `<text x="${plot.left - 6}" y="${y}" dy="4" text-anchor="end" font-size="${TICK_FONT}">${formatTick(t)}</text>`
    );
  });
  const mid = ((plot.top + plot.bottom) / 2).toFixed(1);
  return (
    lines.join('') +
    `<line x1="${plot.left}" y1="${plot.top}" x2="${plot.left}" y2="${plot.bottom}" stroke="#333"/>` +
    `<text transform="translate(14 ${mid}) rotate(-90)" text-anchor="middle" font-size="${LABEL_FONT}">${escapeXml(label)}</text>`
  );
}

function xLabel(plot: Plot, label: string): string {
  return (
    `<line x1="${plot.left}" y1="${plot.bottom}" x2="${plot.right}" y2="${plot.bottom}" stroke="#333"/>` +
    `<text x="${(plot.left + plot.right) / 2}" y="${HEIGHT - 8}" text-anchor="middle" font-size="${LABEL_FONT}">${escapeXml(label)}</text>`
  );
}

function wrap(frame: Frame, body: string): string {
  const id = escapeXml(frame.id);
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" ` +
    `aria-labelledby="${id}-title ${id}-desc" ${FONT} fill="#222">` +
    `<title id="${id}-title">${escapeXml(frame.title)}</title>` +
    `<desc id="${id}-desc">${escapeXml(frame.description)}</desc>${body}</svg>`
  );
}

export function barChart(chart: BarChart): string {
  const showLegend = chart.series.length > 1;
  const key = showLegend
    ? legend(chart.series.map((s) => ({ name: s.name, color: s.color, line: false })))
    : { svg: '', height: 0 };
  const tops = chart.series.flatMap((s) => s.values.map((v, i) => v + (s.errors?.[i] ?? 0)));
  const ticks = axisTicks(maxOf([...tops, chart.reference?.value ?? 0], 0) * 1.05);
  const plot = plotArea(key.height, ticks);
  const groupWidth = (plot.right - plot.left) / Math.max(1, chart.groups.length);
  const barWidth = (groupWidth * 0.75) / Math.max(1, chart.series.length);
  const parts: string[] = [yAxis(plot, ticks, chart.yLabel), xLabel(plot, chart.xLabel), key.svg];
  chart.groups.forEach((group, g) => {
    const x0 = plot.left + g * groupWidth + groupWidth * 0.125;
    chart.series.forEach((s, i) => {
      const value = s.values[g] ?? 0;
      const x = x0 + i * barWidth;
      const y = plot.y(value);
      const fill = s.barColors?.[g] ?? s.color;
      parts.push(
        `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${(barWidth - 2).toFixed(1)}" height="${(plot.bottom - y).toFixed(1)}" fill="${fill}">` +
          `<title>${escapeXml(`${group} ${s.name}: ${formatTick(value)}`)}</title></rect>`,
      );
      const err = s.errors?.[g] ?? 0;
      if (err > 0) {
        const cx = (x + (barWidth - 2) / 2).toFixed(1);
        const hi = plot.y(value + err).toFixed(1);
        const lo = plot.y(Math.max(0, value - err)).toFixed(1);
        parts.push(
          `<path d="M${cx} ${hi}V${lo}M${(x + barWidth * 0.3).toFixed(1)} ${hi}H${(x + barWidth * 0.7 - 2).toFixed(1)}` +
            `M${(x + barWidth * 0.3).toFixed(1)} ${lo}H${(x + barWidth * 0.7 - 2).toFixed(1)}" stroke="#111" stroke-width="1.5" fill="none"/>`,
        );
      }
    });
    parts.push(
      `<text x="${(plot.left + (g + 0.5) * groupWidth).toFixed(1)}" y="${plot.bottom + 16}" text-anchor="middle" font-size="${TICK_FONT}">${escapeXml(group)}</text>`,
    );
  });
  if (chart.reference) {
    const y = plot.y(chart.reference.value).toFixed(1);
    parts.push(
      `<line x1="${plot.left}" y1="${y}" x2="${plot.right}" y2="${y}" stroke="#c00" stroke-width="1.5" stroke-dasharray="6 4"/>` +
        `<text x="${plot.right - 4}" y="${y}" dy="-5" text-anchor="end" font-size="${TICK_FONT}" fill="#c00" stroke="#fff" stroke-width="3" paint-order="stroke">${escapeXml(chart.reference.label)}</text>`,
    );
  }
  return wrap(chart, parts.join(''));
}

export function lineChart(chart: LineChart): string {
  const key = legend(chart.series.map((s) => ({ name: s.name, color: s.color, line: true, dash: s.dash })));
  const all = chart.series.flatMap((s) => s.points);
  const xs = all.map(([x]) => x);
  const ys = all.flatMap(([, y]) => (y === null ? [] : [y]));
  const xMin = xs.length
    ? -maxOf(
        xs.map((v) => -v),
        Number.NEGATIVE_INFINITY,
      )
    : 0;
  const xMaxRaw = maxOf(xs, xMin);
  const xMax = xMaxRaw > xMin ? xMaxRaw : xMin + 1;
  const yMax = maxOf(ys, 0);
  const yMinPositive = minPositive(ys);
  const log = chart.yScale === 'log' && yMinPositive < Number.POSITIVE_INFINITY;
  const ticks = log ? logTicks(yMinPositive, yMax) : axisTicks(yMax * 1.02);
  const plot = plotArea(key.height, ticks, log);
  const x = (v: number) => plot.left + ((v - xMin) / (xMax - xMin)) * (plot.right - plot.left);
  const yLabel = !log
    ? chart.yLabel
    : chart.yLabel.endsWith(')')
      ? `${chart.yLabel.slice(0, -1)}, log)`
      : `${chart.yLabel} (log)`;
  const parts: string[] = [yAxis(plot, ticks, yLabel), xLabel(plot, chart.xLabel), key.svg];
  for (const t of niceTicks(xMin, xMax, 6)) {
    parts.push(
      `<text x="${x(t).toFixed(1)}" y="${plot.bottom + 16}" text-anchor="middle" font-size="${TICK_FONT}">${formatTick(t)}</text>`,
    );
  }
  for (const s of chart.series) {
    let d = '';
    let pen = false;
    for (const [px, py] of s.points) {
      if (py === null) {
        pen = false;
        continue;
      }
      d += `${pen ? 'L' : 'M'}${x(px).toFixed(1)} ${plot.y(py).toFixed(1)}`;
      pen = true;
    }
    const dash = s.dash ? ` stroke-dasharray="${s.dash}"` : '';
    parts.push(
      `<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2"${dash}><title>${escapeXml(s.name)}</title></path>`,
    );
    if (s.points.length <= MAX_POINTS_WITH_MARKERS) {
      for (const [px, py] of s.points) {
        if (py === null) continue;
        parts.push(`<circle cx="${x(px).toFixed(1)}" cy="${plot.y(py).toFixed(1)}" r="2.5" fill="${s.color}"/>`);
      }
    }
  }
  return wrap(chart, parts.join(''));
}
