/**
 * A small line chart (two y axes) written as SVG and rendered to PNG with sharp (librsvg): the demo's
 * plot of the training loss and the recall over the steps.
 */
import sharp from 'sharp';
import { UniAdapterError } from '../../errors';

export interface Series {
  name: string;
  points: Array<[number, number]>;
  axis: 'left' | 'right';
  color: string;
  /** Draw point markers (for sparse series such as periodic evaluations). */
  markers?: boolean;
}

export interface ChartSpec {
  title: string;
  xLabel: string;
  leftLabel: string;
  rightLabel: string;
  series: Series[];
  width?: number;
  height?: number;
  /** Fixed range of the right axis (e.g. [0, 100] for recall in %). */
  rightRange?: [number, number];
}

function escape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function niceTicks(lo: number, hi: number, n = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / n;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9 * step; v += step) out.push(+v.toFixed(10));
  return out;
}

/** The chart as an SVG document. */
export function chartSvg(spec: ChartSpec): string {
  const W = spec.width ?? 900;
  const H = spec.height ?? 480;
  const m = { left: 70, right: 70, top: 50, bottom: 60 };
  const pw = W - m.left - m.right;
  const ph = H - m.top - m.bottom;
  const all = spec.series.flatMap((s) => s.points);
  if (all.length === 0) throw new UniAdapterError('ERR_ARG', 'the chart has no points');
  const xs = all.map((p) => p[0]);
  const xMin = Math.min(...xs);
  const xMax = Math.max(...xs) > xMin ? Math.max(...xs) : xMin + 1;
  const range = (axis: 'left' | 'right'): [number, number] => {
    if (axis === 'right' && spec.rightRange) return spec.rightRange;
    const ys = spec.series.filter((s) => s.axis === axis).flatMap((s) => s.points.map((p) => p[1]));
    if (ys.length === 0) return [0, 1];
    const lo = Math.min(...ys);
    const hi = Math.max(...ys);
    const pad = (hi - lo) * 0.05 || 1;
    return [lo - pad, hi + pad];
  };
  const [lMin, lMax] = range('left');
  const [rMin, rMax] = range('right');
  const sx = (x: number) => m.left + ((x - xMin) / (xMax - xMin)) * pw;
  const sy = (y: number, axis: 'left' | 'right') => {
    const [lo, hi] = axis === 'left' ? [lMin, lMax] : [rMin, rMax];
    return m.top + ph - ((y - lo) / (hi - lo)) * ph;
  };
  const parts: string[] = [];
  parts.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  parts.push(`<text x="${W / 2}" y="28" font-family="sans-serif" font-size="18" text-anchor="middle">${escape(spec.title)}</text>`);
  for (const t of niceTicks(xMin, xMax)) {
    parts.push(`<line x1="${sx(t)}" y1="${m.top}" x2="${sx(t)}" y2="${m.top + ph}" stroke="#eee"/>`);
    parts.push(`<text x="${sx(t)}" y="${m.top + ph + 18}" font-family="sans-serif" font-size="12" text-anchor="middle">${t}</text>`);
  }
  for (const t of niceTicks(lMin, lMax)) {
    parts.push(`<line x1="${m.left}" y1="${sy(t, 'left')}" x2="${m.left + pw}" y2="${sy(t, 'left')}" stroke="#eee"/>`);
    parts.push(`<text x="${m.left - 8}" y="${sy(t, 'left') + 4}" font-family="sans-serif" font-size="12" text-anchor="end">${t}</text>`);
  }
  for (const t of niceTicks(rMin, rMax)) {
    parts.push(`<text x="${m.left + pw + 8}" y="${sy(t, 'right') + 4}" font-family="sans-serif" font-size="12">${t}</text>`);
  }
  parts.push(`<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`);
  parts.push(`<text x="${m.left + pw / 2}" y="${H - 15}" font-family="sans-serif" font-size="14" text-anchor="middle">${escape(spec.xLabel)}</text>`);
  parts.push(`<text transform="translate(18 ${m.top + ph / 2}) rotate(-90)" font-family="sans-serif" font-size="14" text-anchor="middle">${escape(spec.leftLabel)}</text>`);
  parts.push(`<text transform="translate(${W - 14} ${m.top + ph / 2}) rotate(90)" font-family="sans-serif" font-size="14" text-anchor="middle">${escape(spec.rightLabel)}</text>`);
  spec.series.forEach((s, i) => {
    if (s.points.length === 0) return;
    const d = s.points.map((p, j) => `${j ? 'L' : 'M'}${sx(p[0]).toFixed(1)},${sy(p[1], s.axis).toFixed(1)}`).join(' ');
    parts.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2"/>`);
    if (s.markers) for (const p of s.points) parts.push(`<circle cx="${sx(p[0]).toFixed(1)}" cy="${sy(p[1], s.axis).toFixed(1)}" r="4" fill="${s.color}"/>`);
    const ly = m.top + 16 + i * 18;
    parts.push(`<line x1="${m.left + 12}" y1="${ly - 4}" x2="${m.left + 36}" y2="${ly - 4}" stroke="${s.color}" stroke-width="3"/>`);
    parts.push(`<text x="${m.left + 42}" y="${ly}" font-family="sans-serif" font-size="12">${escape(s.name)} (${s.axis} axis)</text>`);
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}">${parts.join('')}</svg>`;
}

export async function renderChartPng(spec: ChartSpec): Promise<Buffer> {
  return sharp(Buffer.from(chartSvg(spec))).png().toBuffer();
}
