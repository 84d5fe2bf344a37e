/**
 * Charts as inline SVG, drawn on the server: stacked columns (findings over time) and stacked
 * horizontal bars (coverage by subsystem). Pure; every label goes through `html`, so it is
 * escaped. Each shape has a <title> (the exact figure on hover) and the chart a <desc>.
 */
import type { Severity } from '../../checks/types.js';
import { type Html, html } from './html.js';
import type { FindingsPerDay } from './queries.js';

export interface ChartSeries {
  name: string;
  /** A CSS class giving the fill (c-error, c-spec, ...). */
  cls: string;
}

function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function fmt(n: number): string {
  return n.toLocaleString('en-US');
}

function legend(series: readonly ChartSeries[]): Html {
  return html`<p class="legend small">${series.map(
    (s) => html`<span><span class="sw ${s.cls}"></span>${s.name}</span>`,
  )}</p>`;
}

/** Columns, one per label, each stacked from `series` (values[i] belongs to labels[i]). */
export function stackedColumns(opts: {
  title: string;
  labels: readonly string[];
  series: readonly (ChartSeries & { values: readonly number[] })[];
  width?: number;
  height?: number;
}): Html {
  const width = opts.width ?? 760;
  const height = opts.height ?? 240;
  const left = 44;
  const bottom = 34;
  const top = 10;
  const plotW = width - left - 10;
  const plotH = height - top - bottom;
  const n = opts.labels.length;
  const totals = opts.labels.map((_, i) => opts.series.reduce((a, s) => a + (s.values[i] ?? 0), 0));
  const max = niceMax(Math.max(0, ...totals));
  const slot = n > 0 ? plotW / n : plotW;
  const barW = Math.max(1, Math.min(48, slot * 0.8));
  const y = (v: number) => top + plotH - (v / max) * plotH;
  const every = Math.max(1, Math.ceil(n / 8));
  const grid = (Number.isInteger(max / 2) ? [0, max / 2, max] : [0, max]).map(
    (v) =>
      html`<line class="grid" x1="${left}" x2="${width - 10}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}"/><text x="${left - 4}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${fmt(v)}</text>`,
  );
  const bars = opts.labels.map((label, i) => {
    let acc = 0;
    const x = left + i * slot + (slot - barW) / 2;
    const rects = opts.series.map((s) => {
      const v = s.values[i] ?? 0;
      if (v <= 0) return '';
      const y0 = y(acc + v);
      const h = y(acc) - y0;
      acc += v;
      return html`<rect class="${s.cls}" x="${x.toFixed(1)}" y="${y0.toFixed(1)}" width="${barW.toFixed(1)}" height="${Math.max(0.5, h).toFixed(1)}"><title>${label}: ${fmt(v)} ${s.name}</title></rect>`;
    });
    const tick =
      i % every === 0
        ? html`<text x="${(x + barW / 2).toFixed(1)}" y="${height - bottom + 14}" text-anchor="middle">${label}</text>`
        : '';
    return html`${rects}${tick}`;
  });
  const desc = opts.labels.map((l, i) => `${l}: ${totals[i]}`).join('; ');
  return html`<svg class="chart" role="img" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg"><title>${opts.title}</title><desc>${desc || 'no data'}</desc>${grid}${bars}</svg>${legend(opts.series)}`;
}

/** One bar per row, stacked from `series`; the row's total is written after the bar. */
export function stackedBars(opts: {
  title: string;
  rows: readonly { label: string; values: readonly number[]; note?: string }[];
  series: readonly ChartSeries[];
  width?: number;
}): Html {
  const width = opts.width ?? 760;
  const labelW = 170;
  const rowH = 18;
  const top = 4;
  const height = top + opts.rows.length * rowH + 6;
  const plotW = width - labelW - 90;
  const max = Math.max(1, ...opts.rows.map((r) => r.values.reduce((a, b) => a + b, 0)));
  const rows = opts.rows.map((r, i) => {
    const yy = top + i * rowH;
    let x = labelW;
    const total = r.values.reduce((a, b) => a + b, 0);
    const rects = opts.series.map((s, k) => {
      const v = r.values[k] ?? 0;
      if (v <= 0) return '';
      const w = (v / max) * plotW;
      const out = html`<rect class="${s.cls}" x="${x.toFixed(1)}" y="${yy + 3}" width="${Math.max(0.5, w).toFixed(1)}" height="${rowH - 6}"><title>${r.label}: ${fmt(v)} ${s.name}</title></rect>`;
      x += w;
      return out;
    });
    return html`<text x="${labelW - 6}" y="${yy + rowH - 5}" text-anchor="end">${r.label}</text>${rects}<text x="${(x + 4).toFixed(1)}" y="${yy + rowH - 5}">${r.note ?? fmt(total)}</text>`;
  });
  const desc = opts.rows
    .map((r) => `${r.label}: ${opts.series.map((s, k) => `${r.values[k] ?? 0} ${s.name}`).join(', ')}`)
    .join('; ');
  return html`<svg class="chart" role="img" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg"><title>${opts.title}</title><desc>${desc || 'no data'}</desc>${rows}</svg>${legend(opts.series)}`;
}

/** Monday of the ISO week of a `YYYY-MM-DD` day, as `YYYY-MM-DD`. */
export function weekOf(day: string): string {
  const d = new Date(`${day}T00:00:00Z`);
  if (Number.isNaN(d.getTime())) return day;
  const back = (d.getUTCDay() + 6) % 7;
  return new Date(d.getTime() - back * 86_400_000).toISOString().slice(0, 10);
}

export interface TimeBuckets {
  /** 'week' (labels are Mondays) or 'month' (labels are YYYY-MM) when weeks would be too many. */
  unit: 'week' | 'month';
  labels: string[];
  values: Record<Severity, number[]>;
}

/**
 * Findings per day into weeks (Mondays, empty weeks included so time reads evenly), or months
 * when the span is longer than `maxWeeks`.
 */
export function findingsBuckets(rows: readonly FindingsPerDay[], maxWeeks = 104): TimeBuckets {
  const days = rows.map((r) => r.day).filter((d) => /^\d{4}-\d{2}-\d{2}$/.test(d));
  const empty: TimeBuckets = { unit: 'week', labels: [], values: { error: [], warning: [], info: [] } };
  if (days.length === 0) return empty;
  const firstDay = days.reduce((a, b) => (a < b ? a : b));
  const lastDay = days.reduce((a, b) => (a > b ? a : b));
  const first = weekOf(firstDay);
  const last = weekOf(lastDay);
  const weeks = Math.round((Date.parse(last) - Date.parse(first)) / (7 * 86_400_000)) + 1;
  const unit: 'week' | 'month' = weeks > maxWeeks ? 'month' : 'week';
  const key = (day: string) => (unit === 'week' ? weekOf(day) : day.slice(0, 7));
  const labels: string[] = [];
  if (unit === 'week')
    for (let t = Date.parse(first); t <= Date.parse(last); t += 7 * 86_400_000)
      labels.push(new Date(t).toISOString().slice(0, 10));
  else {
    const [y0, m0] = firstDay.slice(0, 7).split('-').map(Number) as [number, number];
    const end = lastDay.slice(0, 7);
    for (let k = y0 * 12 + (m0 - 1); ; k++) {
      const label = `${Math.floor(k / 12)}-${String((k % 12) + 1).padStart(2, '0')}`;
      labels.push(label);
      if (label >= end) break;
    }
  }
  const index = new Map(labels.map((l, i) => [l, i]));
  const values: Record<Severity, number[]> = {
    error: labels.map(() => 0),
    warning: labels.map(() => 0),
    info: labels.map(() => 0),
  };
  for (const r of rows) {
    const i = index.get(key(r.day));
    const column = values[r.severity];
    if (i !== undefined && column) column[i] = (column[i] ?? 0) + r.count;
  }
  return { unit, labels, values };
}
