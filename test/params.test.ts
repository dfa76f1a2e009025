/**
 * Parameter counts of the BLIP-base task models (random weights) against ARCHITECTURE_SPEC §3.10,
 * §4.10 and the UniAdapter table of §5.12; BLIP-large constructs too.
 */
import { main } from '../lib/cli';
import { presetConfig } from '../lib/config/presets';
import { createModel } from '../lib/model/create-model';
import { Writable, Readable } from 'stream';

async function paramsJson(args: string[]): Promise<any> {
  let out = '';
  const stdout = new Writable({ write(c, _e, cb) { out += c.toString(); cb(); } });
  const stderr = new Writable({ write(_c, _e, cb) { cb(); } });
  const code = await main(['params', ...args, '--json'], { stdout, stderr, stdin: Readable.from([]) });
  expect(code).toBe(0);
  return JSON.parse(out);
}

describe('uniadapter params (blip-base)', () => {
  it.each([
    [['--bottleneck', '128'], 4747776, 5359748],
    [['--bottleneck', '512'], 18908160, 19520132],
    [['--bottleneck', '128', '--share', 'none'], 7110144, undefined],
    [['--bottleneck', '512', '--share', 'none'], 28357632, undefined],
    [['--bottleneck', '512', '--layers', '5-8'], 6302720, undefined],
    [['--bottleneck', '512', '--share', 'both'], 9452544, undefined],
  ])('retrieval %j', async (args, projections, trainable) => {
    const r = await paramsJson(['--preset', 'blip-base', '--task', 'retrieval', ...args]);
    expect(r.adapterProjections).toBe(projections);
    if (trainable !== undefined) expect(r.trainable).toBe(trainable);
    expect(r.total).toBe(223744259);
    // §3.10 and §4.10: ViT-B/16 at 384 px and the BERT-base text encoder with cross-attention.
    expect(r.byGroup.vision).toBe(86090496);
    expect(r.byGroup.textEncoder).toBe(137258496);
    expect(r.byGroup.heads).toBe(395266);
  });

  it('vqa r=512: only adapters and both key/value adapters train (19,323,140)', async () => {
    const r = await paramsJson(['--preset', 'blip-base', '--task', 'vqa', '--bottleneck', '512']);
    expect(r.trainable).toBe(19323140);
    expect(r.byGroup.vision).toBe(86339328); // 480 px
    expect(r.byGroup.textDecoder + r.byGroup.heads).toBe(137881148); // the LM head is the "heads" group
    expect(r.total).toBe(361478972);
  });

  it('the corrected trainable rule also trains the cross-modal LayerNorms', async () => {
    const r = await paramsJson(['--preset', 'blip-base', '--task', 'retrieval', '--trainable-rule', 'corrected']);
    expect(r.trainable).toBe(19520132 + 12 * 1536);
  });
});

describe('presets', () => {
  it('ViT-B/16 at 224 px has 85,798,656 parameters', async () => {
    const model = await createModel(presetConfig('blip-base', 'retrieval', { imageSize: 224, petl: { method: 'none', kvAdapter: false } }));
    try {
      const info = await model.parameterInfo();
      expect(info.counts.byGroup.vision).toBe(85798656);
      expect(info.counts.trainable).toBe(0);
    } finally {
      await model.dispose();
    }
  });

  it('blip-large (ViT-L/16) constructs with width-specific visual adapters', async () => {
    const model = await createModel(presetConfig('blip-large', 'retrieval'));
    try {
      const info = await model.parameterInfo();
      expect(info.counts.byGroup.vision).toBe(303690752); // ViT-L/16 at 384 px (computed from the block formula)
      expect(info.entries.some((e) => e.name.startsWith('visual_adapters.23.visual_up_proj'))).toBe(true);
      expect(info.entries.find((e) => e.name === 'visual_encoder.pos_embed')?.shape).toEqual([1, 577, 1024]);
    } finally {
      await model.dispose();
    }
  });
});
