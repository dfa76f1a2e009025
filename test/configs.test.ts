/** The shipped configurations for the paper's tasks read, validate and describe the intended models. */
import * as fs from 'fs';
import * as path from 'path';
import { readTrainConfig } from '../lib/cli/train';
import { Trainer } from '../lib/train/trainer';

const dir = path.resolve(__dirname, '..', 'configs');
const files = fs.readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort();

describe('configs/', () => {
  it('has one configuration per task of the paper', () => {
    expect(files).toEqual([
      'coco-caption.yaml',
      'coco-retrieval.yaml',
      'didemo-retrieval.yaml',
      'flickr30k-retrieval.yaml',
      'msrvtt-qa.yaml',
      'msrvtt-retrieval.yaml',
      'vqav2.yaml',
    ]);
  });

  it.each(files)('%s validates and builds a model configuration', (f) => {
    const c = readTrainConfig(path.join(dir, f));
    const t = new Trainer(c);
    const m = t.modelConfig();
    expect(m.petl.method).toBe('uniadapter');
    expect(m.petl.bottleneck).toBe(512);
    expect(path.isAbsolute(c.outputDir)).toBe(true);
    expect(c.lr).toBeGreaterThan(0);
    if (c.task === 'vqa') expect(m.vision.imageSize).toBe(480);
    if (c.task === 'video-retrieval') expect(m.vision.imageSize).toBe(224);
    if (c.task === 'retrieval' || c.task === 'video-retrieval') expect((m.queueSize as number) % c.batchSize).toBe(0);
  });
});
