/**
 * A grouped bar chart written as SVG and rendered to PNG with sharp (librsvg): the demo's comparison of
 * tuning methods (the groups on the x axis) on each task's metric (one series per task).
 */
import sharp from 'sharp';
import { UniAdapterError } from '../../errors';

export interface BarSeries {
  name: string;
  /** One value per group; NaN is drawn as no bar, labelled "n/a". */
  values: number[];
  color: string;
}

export interface BarChartSpec {
  title: string;
  /** The x-axis categories, e.g. the tuning methods. */
  groups: string[];
  series: BarSeries[];
  yLabel: string;
  /** Fixed range of the y axis (e.g. [0, 100] for accuracies in %); default from the values and 0. */
  yRange?: [number, number];
  width?: number;
  height?: number;
}

const FONT = 'font-family="sans-serif"';
/** Rough width of a character at the 12 px label size, for wrapping and layout. */
const CHAR_WIDTH = 6.8;
const LABEL_LINE_HEIGHT = 14;

function escape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function niceStep(span: number, n = 5): number {
  const raw = span / n;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  return [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
}

function ticks(lo: number, hi: number): number[] {
  const step = niceStep(hi - lo);
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9 * step; v += step) out.push(+v.toFixed(10));
  return out;
}

/** Words packed into lines of at most `width` characters; a longer word gets a line of its own. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const last = lines.length - 1;
    if (last >= 0 && lines[last].length + 1 + word.length <= width) lines[last] += ` ${word}`;
    else lines.push(word);
  }
  return lines.length ? lines : [''];
}

function formatValue(v: number): string {
  const a = Math.abs(v);
  return a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : v.toFixed(2);
}

function validate(spec: BarChartSpec): void {
  const fail = (why: string) => new UniAdapterError('ERR_ARG', `bar chart "${spec.title}": ${why}`);
  if (spec.groups.length === 0) throw fail('it has no groups');
  if (spec.series.length === 0) throw fail('it has no series');
  for (const s of spec.series) {
    if (s.values.length !== spec.groups.length) {
      throw fail(`series "${s.name}" has ${s.values.length} values for ${spec.groups.length} groups`);
    }
    const bad = s.values.find((v) => typeof v !== 'number' || (!Number.isNaN(v) && !Number.isFinite(v)));
    if (bad !== undefined) throw fail(`series "${s.name}" has the value ${bad}; use NaN for a missing value`);
  }
  if (spec.yRange && !(Number.isFinite(spec.yRange[0]) && Number.isFinite(spec.yRange[1]) && spec.yRange[1] > spec.yRange[0])) {
    throw fail(`the y range [${spec.yRange.join(', ')}] is not an increasing pair of finite numbers`);
  }
  for (const [name, v] of [['width', spec.width], ['height', spec.height]] as const) {
    if (v !== undefined && !(Number.isInteger(v) && v >= 200 && v <= 8000)) throw fail(`the ${name} ${v} is not an integer from 200 to 8000`);
  }
}

/** The y range: the spec's, or one with nice ends that holds 0 and every value. */
function yRangeOf(spec: BarChartSpec): [number, number] {
  if (spec.yRange) return spec.yRange;
  const values = spec.series.flatMap((s) => s.values).filter((v) => !Number.isNaN(v));
  const lo = Math.min(0, ...values);
  const hi = Math.max(0, ...values);
  if (hi === lo) return [lo, lo + 1];
  const step = niceStep(hi - lo);
  return [Math.floor(lo / step) * step, Math.ceil(hi / step) * step];
}

/**
 * The chart as an SVG document.
 *
 * @throws UniAdapterError ERR_ARG when there are no groups or series, a series does not have one value
 *   per group, a value is infinite, or the y range or size is invalid
 */
export function barChartSvg(spec: BarChartSpec): string {
  validate(spec);
  const W = spec.width ?? 900;
  const H = spec.height ?? 480;
  const left = 70;
  const right = 20;
  const pw = W - left - right;
  const groupWidth = pw / spec.groups.length;

  // The legend: rows of swatches under the title, wrapped at the plot's width.
  const legend: Array<{ x: number; row: number; s: BarSeries }> = [];
  let lx = 0;
  let row = 0;
  for (const s of spec.series) {
    const w = 22 + s.name.length * CHAR_WIDTH + 18;
    if (lx > 0 && lx + w > pw) {
      lx = 0;
      row++;
    }
    legend.push({ x: left + lx, row, s });
    lx += w;
  }
  const top = 50 + (row + 1) * 18 + 8;

  // Group names: wrapped under their group when a group is wide enough for a few words, else rotated.
  const charsPerLine = Math.floor((groupWidth - 6) / CHAR_WIDTH);
  const rotate = charsPerLine < 8 || spec.groups.some((g) => {
    const lines = wrap(g, charsPerLine);
    return lines.length > 3 || lines.some((l) => l.length > charsPerLine);
  });
  const wrapped = spec.groups.map((g) => (rotate ? [g] : wrap(g, charsPerLine)));
  const labelSpace = rotate
    ? Math.min(H / 3, 16 + Math.max(...spec.groups.map((g) => g.length)) * CHAR_WIDTH * Math.SQRT1_2)
    : 10 + Math.max(...wrapped.map((l) => l.length)) * LABEL_LINE_HEIGHT;
  const bottom = labelSpace + 10;
  const ph = H - top - bottom;
  if (ph < 40) throw new UniAdapterError('ERR_ARG', `bar chart "${spec.title}": the height ${H} leaves no room for the bars`);

  const [yMin, yMax] = yRangeOf(spec);
  const sy = (v: number) => top + ph - ((Math.min(yMax, Math.max(yMin, v)) - yMin) / (yMax - yMin)) * ph;
  const baseline = sy(Math.min(yMax, Math.max(yMin, 0)));

  const parts: string[] = [];
  parts.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  parts.push(`<text x="${W / 2}" y="28" ${FONT} font-size="18" text-anchor="middle">${escape(spec.title)}</text>`);
  for (const t of ticks(yMin, yMax)) {
    parts.push(`<line x1="${left}" y1="${sy(t).toFixed(1)}" x2="${left + pw}" y2="${sy(t).toFixed(1)}" stroke="#eee"/>`);
    parts.push(`<text x="${left - 8}" y="${(sy(t) + 4).toFixed(1)}" ${FONT} font-size="12" text-anchor="end">${t}</text>`);
  }
  parts.push(`<text transform="translate(18 ${top + ph / 2}) rotate(-90)" ${FONT} font-size="14" text-anchor="middle">${escape(spec.yLabel)}</text>`);

  const band = groupWidth * 0.8;
  const barWidth = band / spec.series.length;
  spec.groups.forEach((g, gi) => {
    const x0 = left + gi * groupWidth + (groupWidth - band) / 2;
    spec.series.forEach((s, si) => {
      const v = s.values[gi];
      const x = x0 + si * barWidth;
      const cx = (x + barWidth / 2).toFixed(1);
      if (Number.isNaN(v)) {
        const y = (baseline - 4).toFixed(1);
        const turn = barWidth < 22 ? ` transform="rotate(-90 ${cx} ${y})" dy="3"` : '';
        parts.push(`<text x="${cx}" y="${y}"${turn} ${FONT} font-size="10" fill="#777" text-anchor="${turn ? 'start' : 'middle'}">n/a</text>`);
        return;
      }
      const y = sy(v);
      parts.push(
        `<rect x="${(x + 1).toFixed(1)}" y="${Math.min(y, baseline).toFixed(1)}" width="${Math.max(1, barWidth - 2).toFixed(1)}" height="${Math.abs(baseline - y).toFixed(1)}" fill="${escape(s.color)}"/>`
      );
      if (barWidth >= 26) {
        const ty = v >= 0 ? y - 4 : y + 12;
        parts.push(`<text x="${cx}" y="${ty.toFixed(1)}" ${FONT} font-size="10" fill="#333" text-anchor="middle">${formatValue(v)}</text>`);
      }
    });
    const gx = left + (gi + 0.5) * groupWidth;
    if (rotate) {
      const gy = top + ph + 14;
      parts.push(`<text transform="translate(${gx.toFixed(1)} ${gy}) rotate(-45)" ${FONT} font-size="12" text-anchor="end">${escape(g)}</text>`);
    } else {
      const lines = wrapped[gi].map((l, li) => `<tspan x="${gx.toFixed(1)}" dy="${li ? LABEL_LINE_HEIGHT : 0}">${escape(l)}</tspan>`);
      parts.push(`<text x="${gx.toFixed(1)}" y="${top + ph + 18}" ${FONT} font-size="12" text-anchor="middle">${lines.join('')}</text>`);
    }
  });
  parts.push(`<line x1="${left}" y1="${baseline.toFixed(1)}" x2="${left + pw}" y2="${baseline.toFixed(1)}" stroke="#333"/>`);
  parts.push(`<rect x="${left}" y="${top}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`);

  for (const { x, row: r, s } of legend) {
    const ly = 50 + r * 18;
    parts.push(`<rect x="${x}" y="${ly - 10}" width="16" height="12" fill="${escape(s.color)}"/>`);
    parts.push(`<text x="${x + 22}" y="${ly}" ${FONT} font-size="12">${escape(s.name)}</text>`);
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}">${parts.join('')}</svg>`;
}

/** The chart as a PNG of `width` × `height` pixels. */
export async function renderBarChartPng(spec: BarChartSpec): Promise<Buffer> {
  return sharp(Buffer.from(barChartSvg(spec))).png().toBuffer();
}
