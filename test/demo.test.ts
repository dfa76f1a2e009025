/**
 * The demo in its quick plan exercises every stage (data, training, evaluation, examples, report) and
 * writes a valid report: metrics.json and a PNG plot of the loss and recall over the steps.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import sharp from 'sharp';
import { QUICK_PLAN } from '../lib/demo/demo-plan';
import { runDemo } from '../lib/demo/run-demo';

jest.setTimeout(300_000);

describe('demo (quick plan)', () => {
  it('runs every stage and writes the report', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uniadapter-demo-'));
    const lines: string[] = [];
    const report = await runDemo({ plan: QUICK_PLAN, reportDir: dir, log: (l) => lines.push(l) });
    expect(report.parameters.trainable).toBeGreaterThan(0);
    expect(report.parameters.sharePercent).toBeGreaterThan(0);
    expect(report.parameters.sharePercent).toBeLessThan(5);
    expect(report.retrieval.training.steps).toBe(QUICK_PLAN.retrievalSteps);
    expect(report.retrieval.curve.length).toBeGreaterThanOrEqual(3);
    expect(report.examples.retrieve).toHaveLength(3);
    expect(report.examples.answer).toHaveLength(3);
    expect(report.caption.examples).toHaveLength(3);
    expect(typeof report.passed).toBe('boolean');
    expect(lines.some((l) => l.includes('before training'))).toBe(true);
    const metrics = JSON.parse(fs.readFileSync(path.join(dir, 'metrics.json'), 'utf8'));
    expect(metrics.retrieval.after.r5).toBe(report.retrieval.after.r5);
    const png = fs.readFileSync(path.join(dir, 'training.png'));
    expect(png.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    const meta = await sharp(png).metadata();
    expect(meta.width).toBe(900);
    expect(meta.height).toBe(480);
    // The curves are drawn: the plot is not a blank page (loss in blue, recall in red).
    const { data } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    let blue = 0;
    let red = 0;
    for (let i = 0; i < data.length; i += meta.channels as number) {
      if (data[i] < 80 && data[i + 2] > 150) blue++;
      if (data[i] > 180 && data[i + 1] < 80 && data[i + 2] < 80) red++;
    }
    expect(blue).toBeGreaterThan(200);
    expect(red).toBeGreaterThan(50);
    expect(fs.existsSync(path.join(dir, 'retrieval', 'adapter.safetensors'))).toBe(true);
  });
});
