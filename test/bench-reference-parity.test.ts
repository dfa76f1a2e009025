/**
 * The plain-PyTorch reference of the benchmark suite (benchmarks/reference/blip_reference.py) computes
 * what uniadapter computes: with uniadapter's weights (every adapter tensor randomised so that no
 * branch is zero) and the same inputs, its ITC features and ITM logits agree. A comparison of
 * timings means something only if both sides do the same work.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Rng } from '../lib/data/rng';
import { writeSafetensors } from '../lib/io/safetensors';
import { RetrievalModel } from '../lib/model/retrieval-model';
import { toNumbers, type HostTensor } from '../lib/tensor';
import { benchModelConfig } from '../benchmarks/configs';
import { fillInt64, randomFloats, randomPixels, textBatch } from '../benchmarks/inputs';
import { DEFAULT_PYTHONS, probeReference } from '../benchmarks/reference-probe';
import { REFERENCE_SCRIPT } from '../benchmarks/reference-session';

function expectClose(name: string, actual: number[], expected: number[], atol: number): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < actual.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  if (!(worst <= atol)) throw new Error(`${name}: max |difference| ${worst} > ${atol}`);
}

describe('PyTorch reference parity (tiny configuration)', () => {
  it('gives the same ITC features and ITM logits as uniadapter', async () => {
    const probe = await probeReference(DEFAULT_PYTHONS);
    if (!probe.ok) throw new Error(`the reference needs python3 with torch: ${probe.reason}`);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ua-parity-'));
    const model = await RetrievalModel.create(benchModelConfig('tiny', 'retrieval'));
    const config = model.config;
    try {
      const rng = new Rng(5);
      // Randomise every adapter tensor (the retrieval init leaves the textual up-projection at zero).
      const adapterNames = Object.entries(await model.stateDict('all')).filter(([n]) => /^adapters\.|^text_encoder\.encoder\.video_/.test(n));
      const noise: Record<string, HostTensor> = {};
      for (const [n, t] of adapterNames) {
        // values in [-2, 2): multiplicative tensors (scales, LayerNorm weights) around 1, the others around 0
        const around1 = n.endsWith('.scale') || /norm.*\.weight$/.test(n);
        const r = randomFloats(rng, t.shape);
        noise[n] = { ...r, data: (r.data as Float32Array).map((v) => (around1 ? 1 + 0.25 * v : 0.25 * v)) };
      }
      await model.loadTensors(noise);
      const weights = await model.stateDict('all');
      await writeSafetensors(path.join(dir, 'weights.safetensors'), weights);
      fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
      const B = 4;
      const N = 1 + (config.vision.imageSize / config.vision.patchSize) ** 2;
      const pixels = randomPixels(rng, B, config.vision.imageSize);
      const text = textBatch(B, 35, config.tokens);
      const itmTokens = randomFloats(rng, [B, N, config.vision.width]);
      await writeSafetensors(path.join(dir, 'inputs.safetensors'), { pixels, input_ids: text.inputIds, attention_mask: text.attentionMask, itm_tokens: itmTokens });

      const ref = spawnSync(probe.interpreter, [REFERENCE_SCRIPT, '--parity', dir], { encoding: 'utf8' });
      if (ref.status !== 0) throw new Error(`reference failed: ${ref.stderr}`);
      const out = JSON.parse(ref.stdout.trim().split('\n').pop() as string);
      expect(out.missing).toEqual([]);

      const img = await model.encodeImages(pixels, { tokens: false });
      const txt = await model.encodeTexts(text.inputIds, text.attentionMask);
      const tokens4 = { ...itmTokens, shape: [B, 1, N, config.vision.width] };
      const itm = await model.itm({ inputIds: text.inputIds, attentionMask: text.attentionMask, imageTokens: tokens4, pfa: false });
      const first = { ...itmTokens, shape: [1, 1, N, config.vision.width], data: (itmTokens.data as Float32Array).slice(0, N * config.vision.width) };
      const shared = await model.itm({ inputIds: text.inputIds, attentionMask: text.attentionMask, imageTokens: first, pairImage: fillInt64(B, 0), pfa: false });
      expectClose('image features', toNumbers(img.features), out.image_feat, 1e-4);
      expectClose('text features', toNumbers(txt.features), out.text_feat, 1e-4);
      expectClose('ITM logits', toNumbers(itm.logits), out.itm_logits, 1e-4);
      expectClose('ITM logits, shared keys/values', toNumbers(shared.logits), out.itm_logits_shared, 1e-4);
    } finally {
      await model.dispose();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120000);
});
