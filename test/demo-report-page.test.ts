/**
 * The demo's report pieces: the grouped bar chart, and the static HTML report page, which is rendered in
 * headless Chromium to check that its examples, escaping and embedded thumbnails come out as written.
 */
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { promisify } from 'util';
import sharp from 'sharp';
import { barChartSvg, renderBarChartPng, type BarChartSpec } from '../lib/tools/demo/bar-chart';
import { writeReportPage, type ReportPageInput } from '../lib/tools/demo/report-page';
import { expectUniAdapterError } from './helpers/expect-error';

jest.setTimeout(180_000);

const dirs: string[] = [];
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uniadapter-report-page-'));
  dirs.push(dir);
  return dir;
}

afterAll(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
});

const METHODS = ['zero-shot', 'linear probe', 'Houlsby adapter', 'LoRA', 'UniAdapter (shared)', 'UniAdapter (no sharing)', 'full fine-tuning'];

function methodsChart(extra: Partial<BarChartSpec> = {}): BarChartSpec {
  return {
    title: 'Methods on synthetic tasks',
    groups: METHODS,
    yLabel: 'score (%)',
    yRange: [0, 100],
    series: [
      { name: 'retrieval R@1', values: [12, 20, 41, 43, 55, 56, 60], color: '#1d3557' },
      { name: 'VQA accuracy', values: [8, NaN, 30, 33, 41, 42, 45], color: '#e63946' },
      { name: 'caption CIDEr & co', values: [2, NaN, 15, 16, 21, 22, 25], color: '#2a9d8f' },
    ],
    ...extra,
  };
}

describe('bar chart', () => {
  it('renders a PNG of the requested size', async () => {
    const png = await renderBarChartPng(methodsChart());
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
    const meta = await sharp(png).metadata();
    expect([meta.width, meta.height]).toEqual([900, 480]);
    const small = await sharp(await renderBarChartPng(methodsChart({ width: 640, height: 360, yRange: undefined }))).metadata();
    expect([small.width, small.height]).toEqual([640, 360]);
  });

  it('writes every group name (wrapped into lines when long), the legend, and n/a for missing values', () => {
    const svg = barChartSvg(methodsChart());
    const text = svg.replace(/<\/tspan><tspan[^>]*>/g, ' ');
    for (const g of METHODS) expect(text).toContain(`>${g}</tspan>`);
    expect(svg).toContain('<tspan'); // the long names take two lines
    for (const s of ['retrieval R@1', 'VQA accuracy', 'caption CIDEr &amp; co']) expect(svg).toContain(`>${s}</text>`);
    expect(svg.match(/>n\/a</g)).toHaveLength(2);
    expect(svg).toContain('>100</text>'); // a y tick
    // Many groups: rotated names instead of wrapped ones.
    const many = Array.from({ length: 16 }, (_, i) => `method <${i}>`);
    const rotated = barChartSvg({ title: 't', groups: many, yLabel: 'y', series: [{ name: 's', values: many.map((_, i) => i), color: 'red' }] });
    expect(rotated).toContain('rotate(-45)');
    expect(rotated).toContain('>method &lt;15&gt;</text>');
  });

  it('refuses a series without one value per group, no groups, and a bad y range', async () => {
    const chart = methodsChart();
    chart.series[1].values.pop();
    await expectUniAdapterError(Promise.resolve().then(() => barChartSvg(chart)), 'ERR_ARG', 'VQA accuracy', '6 values for 7 groups');
    await expectUniAdapterError(renderBarChartPng(methodsChart({ groups: [], series: [] })), 'ERR_ARG', 'no groups');
    await expectUniAdapterError(Promise.resolve().then(() => barChartSvg(methodsChart({ yRange: [5, 5] }))), 'ERR_ARG', 'y range');
  });
});

/** A 64-px thumbnail: a gradient around its own hue, so every image has many colours of its own. */
async function thumbnail(file: string, hue: number, format: 'png' | 'jpeg' = 'png'): Promise<string> {
  const size = 64;
  const px = Buffer.alloc(size * size * 3);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const i = (y * size + x) * 3;
      px[i] = (hue * 37 + x * 3) & 255;
      px[i + 1] = (hue * 91 + y * 3) & 255;
      px[i + 2] = (hue * 53 + (x + y) * 2) & 255;
    }
  }
  const image = sharp(px, { raw: { width: size, height: size, channels: 3 } });
  await (format === 'png' ? image.png() : image.jpeg({ quality: 95 })).toFile(file);
  return file;
}

/** Where the first query's three thumbnails are drawn in a 1100 × 900 window (below the flat plot). */
const THUMBNAIL_AREA = { left: 50, top: 732, width: 370, height: 100 };

describe('report page', () => {
  const QUERY = 'a red <script>alert("x")</script> circle & a blue square';

  async function pageInput(dir: string): Promise<ReportPageInput> {
    const images = path.join(dir, 'images');
    fs.mkdirSync(images);
    const thumbs = await Promise.all(Array.from({ length: 6 }, (_, i) => thumbnail(path.join(images, `img-${i}.${i === 5 ? 'jpg' : 'png'}`), i + 1, i === 5 ? 'jpeg' : 'png')));
    // A flat stand-in for a plot, low so that the retrieval thumbnails are in the window.
    await sharp({ create: { width: 480, height: 120, channels: 3, background: '#dfe7f0' } }).png().toFile(path.join(dir, 'training.png'));
    return {
      title: 'UniAdapter demo <report>',
      summary: ['machine: 2 CPU cores', 'backbone: 2-layer ViT, frozen', 'tunable share: 4.1 %', 'wall time: 03:12'],
      passed: true,
      metrics: [
        { task: 'retrieval', metric: 'R@1', zeroShot: 12.5, after: 55.25, baseline: 41, baselineName: 'Houlsby adapter' },
        { task: 'VQA', metric: 'accuracy', zeroShot: null, after: 41.2, baseline: 30.1, baselineName: 'majority answer' },
        { task: 'caption', metric: 'CIDEr', zeroShot: 2.1, after: 121.4, baseline: null, baselineName: '' },
      ],
      plots: [{ file: 'training.png', caption: 'Training loss and recall' }],
      retrieval: [
        { query: QUERY, results: [{ image: thumbs[0], score: 0.912, correct: true }, { image: thumbs[1], score: 0.7, correct: false }, { image: thumbs[2], score: 0.41, correct: false }] },
        { query: 'a green triangle', results: [{ image: thumbs[3], score: 0.88, correct: false }, { image: thumbs[4], score: 0.81, correct: true }, { image: thumbs[5], score: 0.2, correct: false }] },
      ],
      answers: [
        { image: thumbs[0], question: 'what colour is the circle?', answer: 'red', truth: [...Array(9).fill('red'), 'dark red'] },
        { image: thumbs[1], question: 'how many shapes?', answer: '3', truth: ['2'] },
        { image: thumbs[5], question: 'is it "blue" & <big>?', answer: 'yes', truth: ['yes'] },
        { image: thumbs[4], question: 'what pattern is the background?', answer: 'striped', truth: [...Array(8).fill('speckled'), 'striped', 'striped'] },
      ],
      captions: [
        { image: thumbs[2], caption: 'a red circle next to a square', references: ['a red circle and a blue square', 'two shapes'] },
        { image: thumbs[3], caption: 'a <b>green</b> triangle', references: ['a green triangle'] },
      ],
      compare: {
        columns: ['tunable %', 'R@1', 'VQA acc.'],
        rows: [
          { method: 'UniAdapter (shared)', cells: ['4.1', '55.3', '41.2'] },
          { method: 'full fine-tuning', cells: ['100', '60.0', '45.0'] },
        ],
      },
    };
  }

  it('names a missing example image with ERR_IO and refuses a plot outside the report folder', async () => {
    const dir = tempDir();
    const input = await pageInput(dir);
    const missing = path.join(dir, 'images', 'gone.png');
    input.captions[1].image = missing;
    await expectUniAdapterError(writeReportPage(dir, input), 'ERR_IO', missing);
    expect(fs.existsSync(path.join(dir, 'index.html'))).toBe(false);
    const outside = await pageInput(tempDir());
    outside.plots = [{ file: '../training.png', caption: 'x' }];
    await expectUniAdapterError(writeReportPage(dir, outside), 'ERR_ARG', '../training.png');
  });

  it('writes one static page that headless Chromium shows with every example, escaped text and the thumbnails', async () => {
    const dir = tempDir();
    const input = await pageInput(dir);
    const file = await writeReportPage(dir, input);
    expect(file).toBe(path.join(dir, 'index.html'));
    expect(fs.readdirSync(dir).sort()).toEqual(['images', 'index.html', 'training.png']);

    const html = fs.readFileSync(file, 'utf8');
    // Self-contained: no scripts, no external URLs; the thumbnails are data: URLs, the plot a relative name.
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/(src|href)="(https?:|\/\/|file:)/);
    expect(html.match(/src="data:image\/png;base64,/g)).toHaveLength(10);
    expect(html.match(/src="data:image\/jpeg;base64,/g)).toHaveLength(2);
    expect(html).toContain('<img src="training.png"');

    const chromium = ['--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', '--window-size=1100,900', '--virtual-time-budget=15000'];
    const url = `file://${file}`;
    const run = promisify(execFile);
    const dom = (await run('chromium', [...chromium, '--dump-dom', url], { encoding: 'utf8', timeout: 120_000 })).stdout;
    for (const s of ['summary', 'metrics', 'plots', 'retrieval', 'vqa', 'captions', 'compare']) expect(dom).toContain(`data-section="${s}"`);
    expect(dom).toContain('data-passed="true"');
    expect(dom.match(/<figure class="hit correct"/g)).toHaveLength(2);
    expect(dom.match(/<figure class="hit wrong"/g)).toHaveLength(4);
    expect(dom.match(/data-answer-correct="true"/g)).toHaveLength(2);
    expect(dom.match(/data-answer-correct="false"/g)).toHaveLength(1);
    // Two of ten annotators said "striped": VQA's soft accuracy gives 0.6, shown as partly right.
    expect(dom).toContain('data-answer-correct="partly" data-answer-score="0.6"');
    expect(dom).toContain('partly right (score 0.60)');
    expect(dom).toContain('<li>red ×9</li><li>dark red</li>');
    expect(dom.match(/<figure class="example caption"/g)).toHaveLength(2);
    expect(dom.match(/<tr data-metric-row/g)).toHaveLength(3);
    // The data's markup is text on the page, not elements.
    expect(dom).toContain('a red &lt;script&gt;alert("x")&lt;/script&gt; circle &amp; a blue square');
    expect(dom).not.toMatch(/<script/i);
    expect(dom).toContain('a &lt;b&gt;green&lt;/b&gt; triangle');
    expect(dom).not.toContain('<b>green</b>');
    expect(dom).toContain('<title>UniAdapter demo &lt;report&gt;</title>');

    const shot = path.join(dir, 'report-page.png');
    await run('chromium', [...chromium, `--screenshot=${shot}`, url], { timeout: 120_000 });
    if (process.env.UNIADAPTER_KEEP_SCREENSHOT) fs.copyFileSync(shot, process.env.UNIADAPTER_KEEP_SCREENSHOT);
    const meta = await sharp(shot).metadata();
    expect([meta.width, meta.height]).toEqual([1100, 900]);
    // The retrieval thumbnails were drawn: their gradients give many distinct colours, where a blank
    // area, text or the flat-coloured bar chart give few.
    const { data, info } = await sharp(shot).extract(THUMBNAIL_AREA).raw().toBuffer({ resolveWithObject: true });
    const colours = new Set<number>();
    for (let i = 0; i < data.length; i += info.channels) colours.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
    expect(colours.size).toBeGreaterThan(3000);
    // The border of the correct hit (green) and of a wrong one (red).
    const pixel = async (x: number, y: number) => [...(await sharp(shot).extract({ left: x, top: y, width: 1, height: 1 }).raw().toBuffer())].slice(0, 3);
    expect(await pixel(48, 785)).toEqual([0x2b, 0x8a, 0x3e]);
    expect(await pixel(178, 785)).toEqual([0xc9, 0x2a, 0x2a]);
  });
});
