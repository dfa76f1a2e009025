/**
 * The demo's report as one static HTML page (index.html in the report folder): the summary and verdict,
 * the metrics, the plots, and examples of retrieval, VQA and captioning with their images embedded, so
 * the page opens from the file system or an artifact store with no server, scripts or network.
 */
import { promises as fsp } from 'fs';
import * as path from 'path';
import { UniAdapterError } from '../../errors';
import { writeFileAtomic } from '../../io/atomic';
import { describeSystemError } from '../../io/random-access-file';
import { answerScore, tallyAnswers } from './baselines';

export interface ReportMetricRow {
  task: string;
  metric: string;
  zeroShot: number | null;
  after: number;
  baseline: number | null;
  baselineName: string;
}

export interface ReportPageInput {
  title: string;
  /** Lines: machine, backbone, tunable share, wall time, verdict. */
  summary: string[];
  passed: boolean;
  metrics: ReportMetricRow[];
  /** PNG files already in the report folder, by names relative to it. */
  plots: Array<{ file: string; caption: string }>;
  /** `image` is the path of a PNG or JPEG file. */
  retrieval: Array<{ query: string; results: Array<{ image: string; score: number; correct: boolean }> }>;
  answers: Array<{ image: string; question: string; answer: string; truth: string[] }>;
  captions: Array<{ image: string; caption: string; references: string[] }>;
  compare?: { columns: string[]; rows: Array<{ method: string; cells: string[] }> };
}

/** The name of the page in the report folder. */
export const REPORT_PAGE = 'index.html';

const STYLE = `
  body { font: 15px/1.45 system-ui, sans-serif; margin: 0; color: #1d232a; background: #f6f7f9; }
  main { max-width: 1040px; margin: 0 auto; padding: 16px 20px 32px; }
  h1 { font-size: 22px; margin: 4px 0 12px; }
  h2 { font-size: 17px; margin: 0 0 10px; }
  section { background: #fff; border-radius: 8px; padding: 14px 16px; margin-bottom: 16px; box-shadow: 0 1px 3px rgba(0,0,0,.08); }
  .verdict { display: inline-block; vertical-align: middle; font-size: 15px; font-weight: 700; padding: 3px 12px; border-radius: 5px; color: #fff; margin-left: 10px; }
  .verdict.pass { background: #2b8a3e; }
  .verdict.fail { background: #c92a2a; }
  .summary ul { margin: 0; padding-left: 20px; }
  nav { margin-top: 10px; font-size: 14px; }
  nav a { color: #1d3557; margin-right: 14px; }
  table { border-collapse: collapse; width: 100%; font-size: 14px; }
  th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid #e3e6ea; }
  td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
  .plots { display: flex; flex-wrap: wrap; gap: 12px; }
  .plots figure { margin: 0; max-width: 100%; }
  .plots img { display: block; max-width: 100%; height: auto; border: 1px solid #e3e6ea; }
  figcaption { font-size: 13px; color: #555; }
  .thumb { width: 112px; height: 112px; image-rendering: crisp-edges; image-rendering: pixelated; display: block; border-radius: 4px; background: #e9ecef; }
  .query { margin-bottom: 14px; }
  .query-text { margin: 0 0 6px; font-weight: 600; }
  .hits { display: flex; flex-wrap: wrap; gap: 10px; }
  figure.hit { margin: 0; text-align: center; font-size: 12px; }
  figure.hit .thumb { border: 4px solid #adb5bd; }
  figure.hit.correct .thumb { border-color: #2b8a3e; }
  figure.hit.wrong .thumb { border-color: #c92a2a; }
  .examples { display: grid; grid-template-columns: repeat(auto-fill, minmax(300px, 1fr)); gap: 12px; }
  .example { display: flex; gap: 10px; margin: 0; font-size: 14px; }
  .example p { margin: 0 0 4px; }
  .example ul { margin: 0; padding-left: 18px; color: #555; }
  .mark { font-weight: 700; }
  .right .mark { color: #2b8a3e; }
  .wrong .mark { color: #c92a2a; }
  .partly .mark { color: #e67700; }
  .none { color: #777; }
`;

/** Text for HTML content and double-quoted attribute values. */
function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

function formatNumber(v: number | null): string {
  if (v === null) return '—';
  if (!Number.isFinite(v)) return 'n/a';
  return Math.abs(v) >= 100 ? v.toFixed(1) : v.toFixed(2);
}

function imageType(bytes: Buffer): string | undefined {
  if (bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  return undefined;
}

/** Reads each example image once and gives it as a data: URL. */
class ImageEmbedder {
  private readonly urls = new Map<string, string>();

  async dataUrl(file: string): Promise<string> {
    const known = this.urls.get(file);
    if (known) return known;
    let bytes: Buffer;
    try {
      bytes = await fsp.readFile(file);
    } catch (e) {
      throw new UniAdapterError('ERR_IO', `${file}: cannot read the example image: ${describeSystemError(e)}`, { cause: e });
    }
    const type = imageType(bytes);
    if (!type) throw new UniAdapterError('ERR_FORMAT', `${file}: the example image is not a PNG or JPEG file`);
    const url = `data:${type};base64,${bytes.toString('base64')}`;
    this.urls.set(file, url);
    return url;
  }
}

/** A plot's name as a relative URL, after checking that it names a file inside the report folder. */
async function plotSource(reportDir: string, file: string): Promise<string> {
  const parts = file.split(/[\\/]/);
  if (path.isAbsolute(file) || parts.some((p) => p === '..' || p === '')) {
    throw new UniAdapterError('ERR_ARG', `plot "${file}": give a file name relative to the report folder, inside it`);
  }
  try {
    await fsp.access(path.join(reportDir, file));
  } catch (e) {
    throw new UniAdapterError('ERR_IO', `${path.join(reportDir, file)}: cannot read the plot: ${describeSystemError(e)}`, { cause: e });
  }
  return parts.map(encodeURIComponent).join('/');
}

function none(what: string): string {
  return `<p class="none">No ${what}.</p>`;
}

/** Links to the page's sections, as [id, label]. */
function navigation(links: Array<[string, string]>): string {
  return `<nav>${links.map(([id, label]) => `<a href="#${id}">${escapeHtml(label)}</a>`).join('')}</nav>`;
}

function summarySection(input: ReportPageInput, nav: string): string {
  const verdict = input.passed
    ? '<span class="verdict pass" data-passed="true">PASSED</span>'
    : '<span class="verdict fail" data-passed="false">FAILED</span>';
  const lines = input.summary.map((l) => `<li>${escapeHtml(l)}</li>`).join('');
  return `<section class="summary" id="summary" data-section="summary"><h1>${escapeHtml(input.title)} ${verdict}</h1><ul>${lines}</ul>${nav}</section>`;
}

function metricsSection(rows: ReportMetricRow[]): string {
  if (rows.length === 0) return `<section id="metrics" data-section="metrics"><h2>Metrics</h2>${none('metrics')}</section>`;
  const head = '<tr><th>Task</th><th>Metric</th><th class="num">Zero-shot</th><th class="num">After tuning</th><th class="num">Baseline</th><th>Baseline method</th></tr>';
  const body = rows
    .map(
      (r) =>
        `<tr data-metric-row><td>${escapeHtml(r.task)}</td><td>${escapeHtml(r.metric)}</td><td class="num">${formatNumber(r.zeroShot)}</td>` +
        `<td class="num"><b>${formatNumber(r.after)}</b></td><td class="num">${formatNumber(r.baseline)}</td><td>${escapeHtml(r.baselineName)}</td></tr>`
    )
    .join('');
  return `<section id="metrics" data-section="metrics"><h2>Metrics</h2><table>${head}${body}</table></section>`;
}

async function plotsSection(reportDir: string, plots: ReportPageInput['plots']): Promise<string> {
  if (plots.length === 0) return '';
  const figures: string[] = [];
  for (const p of plots) {
    const src = await plotSource(reportDir, p.file);
    figures.push(`<figure class="plot"><img src="${escapeHtml(src)}" alt="${escapeHtml(p.caption)}"><figcaption>${escapeHtml(p.caption)}</figcaption></figure>`);
  }
  return `<section id="plots" data-section="plots"><h2>Plots</h2><div class="plots">${figures.join('')}</div></section>`;
}

async function retrievalSection(images: ImageEmbedder, retrieval: ReportPageInput['retrieval']): Promise<string> {
  const queries: string[] = [];
  for (const q of retrieval) {
    const hits: string[] = [];
    for (const [rank, r] of q.results.entries()) {
      const status = r.correct ? 'correct' : 'wrong';
      hits.push(
        `<figure class="hit ${status}" data-correct="${r.correct}"><img class="thumb" src="${await images.dataUrl(r.image)}" alt="rank ${rank + 1} (${status})">` +
          `<figcaption>#${rank + 1} · ${r.score.toFixed(3)}</figcaption></figure>`
      );
    }
    queries.push(`<div class="query"><p class="query-text">“${escapeHtml(q.query)}”</p><div class="hits">${hits.join('')}</div></div>`);
  }
  return `<section id="retrieval" data-section="retrieval"><h2>Text-to-image retrieval</h2>${queries.join('') || none('retrieval examples')}</section>`;
}

async function answersSection(images: ImageEmbedder, answers: ReportPageInput['answers']): Promise<string> {
  const items: string[] = [];
  for (const a of answers) {
    // Scored as the demo's accuracy scores it: VQA's soft accuracy against the annotators' answers.
    const score = +answerScore(a.answer, a.truth).toFixed(4);
    const verdict = score === 1 ? 'right' : score > 0 ? 'partly' : 'wrong';
    const mark = { right: '✓ right', partly: `≈ partly right (score ${score.toFixed(2)})`, wrong: '✗ wrong' }[verdict];
    const truth = tallyAnswers(a.truth).map(([t, n]) => `<li>${escapeHtml(t)}${n > 1 ? ` ×${n}` : ''}</li>`).join('');
    items.push(
      `<figure class="example answer ${verdict}" data-answer-correct="${{ right: 'true', partly: 'partly', wrong: 'false' }[verdict]}" data-answer-score="${score}"><img class="thumb" src="${await images.dataUrl(a.image)}" alt="VQA example">` +
        `<figcaption><p>Q: ${escapeHtml(a.question)}</p><p>A: <b>${escapeHtml(a.answer)}</b> <span class="mark">${mark}</span></p>` +
        `<p>Annotators said:</p><ul>${truth}</ul></figcaption></figure>`
    );
  }
  return `<section id="vqa" data-section="vqa"><h2>Visual question answering</h2>${items.length ? `<div class="examples">${items.join('')}</div>` : none('VQA examples')}</section>`;
}

async function captionsSection(images: ImageEmbedder, captions: ReportPageInput['captions']): Promise<string> {
  const items: string[] = [];
  for (const c of captions) {
    const refs = c.references.map((r) => `<li>${escapeHtml(r)}</li>`).join('');
    items.push(
      `<figure class="example caption"><img class="thumb" src="${await images.dataUrl(c.image)}" alt="captioning example">` +
        `<figcaption><p><b>${escapeHtml(c.caption)}</b></p><p>References:</p><ul>${refs}</ul></figcaption></figure>`
    );
  }
  return `<section id="captions" data-section="captions"><h2>Captioning</h2>${items.length ? `<div class="examples">${items.join('')}</div>` : none('caption examples')}</section>`;
}

function compareSection(compare: NonNullable<ReportPageInput['compare']>): string {
  for (const r of compare.rows) {
    if (r.cells.length !== compare.columns.length) {
      throw new UniAdapterError('ERR_ARG', `compare table: row "${r.method}" has ${r.cells.length} cells for ${compare.columns.length} columns`);
    }
  }
  const head = `<tr><th>Method</th>${compare.columns.map((c) => `<th class="num">${escapeHtml(c)}</th>`).join('')}</tr>`;
  const body = compare.rows
    .map((r) => `<tr><td>${escapeHtml(r.method)}</td>${r.cells.map((c) => `<td class="num">${escapeHtml(c)}</td>`).join('')}</tr>`)
    .join('');
  return `<section id="compare" data-section="compare"><h2>Methods compared</h2><table>${head}${body}</table></section>`;
}

/**
 * Writes the report page as `index.html` in `reportDir` and returns its path. The example images are
 * embedded; the plots are linked by their relative names.
 *
 * @throws UniAdapterError ERR_IO naming the file when an example image or a plot cannot be read;
 *   ERR_FORMAT when an example image is not a PNG or JPEG; ERR_ARG when a plot's name leaves the report
 *   folder or a compare row does not have one cell per column
 */
export async function writeReportPage(reportDir: string, input: ReportPageInput): Promise<string> {
  const compare = input.compare ? compareSection(input.compare) : '';
  const images = new ImageEmbedder();
  // A comparison page leaves out the sections it has nothing for; the demo's page shows every section.
  const shown = (items: readonly unknown[]) => items.length > 0 || !input.compare;
  const links: Array<[string, string]> = [
    ...(shown(input.metrics) ? [['metrics', 'Metrics'] as [string, string]] : []),
    ...(input.plots.length ? [['plots', 'Plots'] as [string, string]] : []),
    ...(shown(input.retrieval) ? [['retrieval', 'Retrieval'] as [string, string]] : []),
    ...(shown(input.answers) ? [['vqa', 'VQA'] as [string, string]] : []),
    ...(shown(input.captions) ? [['captions', 'Captions'] as [string, string]] : []),
    ...(input.compare ? [['compare', 'Methods compared'] as [string, string]] : []),
  ];
  const sections = [
    summarySection(input, navigation(links)),
    shown(input.metrics) ? metricsSection(input.metrics) : '',
    await plotsSection(reportDir, input.plots),
    shown(input.retrieval) ? await retrievalSection(images, input.retrieval) : '',
    shown(input.answers) ? await answersSection(images, input.answers) : '',
    shown(input.captions) ? await captionsSection(images, input.captions) : '',
    compare,
  ];
  const html =
    '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n' +
    '<meta name="viewport" content="width=device-width, initial-scale=1">\n' +
    `<title>${escapeHtml(input.title)}</title>\n<style>${STYLE}</style>\n</head>\n<body>\n<main>\n` +
    sections.filter(Boolean).join('\n') +
    '\n</main>\n</body>\n</html>\n';
  const file = path.join(reportDir, REPORT_PAGE);
  await writeFileAtomic(file, Buffer.from(html, 'utf8'));
  return file;
}
