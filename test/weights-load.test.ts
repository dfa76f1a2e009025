/**
 * Loading BLIP checkpoints (lib/weights/load-weights.ts) with the golden-tiny retrieval weights:
 * the official-style .pth and the safetensors twin give bit-identical outputs; a Hugging Face-named
 * file loads the same tensors (with the UniAdapter side-car); and BLIP's loader semantics (§12.1):
 * pos_embed interpolation, shape mismatches dropped or fatal in strict mode, missing and unexpected
 * keys reported by name.
 */
import * as path from 'path';
import { runGoldenCase } from '../lib/tools/golden/run-case';
import { writeSafetensors } from '../lib/io/safetensors';
import { RetrievalModel } from '../lib/model/retrieval-model';
import type { HostTensor } from '../lib/tensor';
import { toHfName } from '../lib/weights/key-map';
import { loadWeights, type LoadReport } from '../lib/weights/load-weights';
import { compareTensor } from '../lib/tools/golden/tolerance';
import {
  RETRIEVAL_DIR,
  RETRIEVAL_PTH,
  RETRIEVAL_SAFETENSORS,
  exactDifference,
  exactDifferences,
  expectUniAdapterError,
  makeTempDir,
  removeTempDir,
  retrievalFixture,
  retrievalOutputs,
  type RetrievalFixture,
} from './helpers/weights-fixtures';

let fx: RetrievalFixture;
let tmp: string;
const models: RetrievalModel[] = [];

beforeAll(async () => {
  fx = await retrievalFixture();
  tmp = await makeTempDir('weights-load');
});

afterAll(async () => {
  for (const m of models) await m.dispose();
  await removeTempDir(tmp);
});

async function freshModel(): Promise<RetrievalModel> {
  const m = await RetrievalModel.create(fx.config);
  models.push(m);
  return m;
}

async function param(model: RetrievalModel, name: string): Promise<HostTensor> {
  const t = (await model.stateDict('all', [name]))[name];
  expect(t).toBeDefined();
  return t;
}

/** UniAdapter alias keys (§12.3): the shared adapters under the modules that use them. */
const ALIAS_KEY = /^(visual_encoder(_m)?\.(adapters\.\d+|blocks\.\d+\.adapter)|text_encoder(_m)?\.encoder\.layer\.\d+\.adapter)\./;

function f32(shape: number[], f: (i: number) => number): HostTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = f(i);
  return { dtype: 'float32', shape, data };
}

describe('.pth and safetensors twins', () => {
  let st: { outputs: Record<string, HostTensor>; load: LoadReport };
  let pth: { outputs: Record<string, HostTensor>; load: LoadReport };

  beforeAll(async () => {
    st = await runGoldenCase(RETRIEVAL_DIR);
    pth = await runGoldenCase(RETRIEVAL_DIR, { weightsPath: RETRIEVAL_PTH });
  });

  test('every output tensor is bit-identical', () => {
    expect(Object.keys(pth.outputs).sort()).toEqual(Object.keys(st.outputs).sort());
    expect(Object.keys(st.outputs).length).toBeGreaterThanOrEqual(11);
    expect(exactDifferences(pth.outputs, st.outputs)).toEqual([]);
  });

  test('and they are the official outputs (not two equally wrong loads)', () => {
    const failures = Object.keys(fx.expected)
      .map((k) => compareTensor(k, fx.expected[k], pth.outputs[k]))
      .filter((m) => m !== null)
      .map((m) => m!.message);
    expect(failures).toEqual([]);
  });

  test('the load reports agree and account for every key', () => {
    expect(pth.load.file).toBe(RETRIEVAL_PTH);
    expect(st.load.file).toBe(RETRIEVAL_SAFETENSORS);
    const fileKeys = Object.keys(fx.weights);
    const aliases = fileKeys.filter((k) => ALIAS_KEY.test(k));
    expect(aliases.length).toBeGreaterThan(0);
    for (const r of [pth.load, st.load]) {
      expect(r.naming).toBe('original');
      expect(r.missing).toEqual([]);
      expect(r.unexpected).toEqual([]);
      expect(r.mismatched).toEqual([]);
      expect(r.interpolated).toEqual([]);
      expect(r.sharedSkipped).toEqual([]);
      expect(r.aliasesSkipped).toBe(aliases.length);
      // Every non-alias key of the file is loaded under its own name, once.
      expect([...r.loaded].sort()).toEqual(fileKeys.filter((k) => !ALIAS_KEY.test(k)).sort());
    }
    expect([...pth.load.loaded].sort()).toEqual([...st.load.loaded].sort());
  });
});

describe('Hugging Face names', () => {
  let hfFile: string;
  let sidecarFile: string;
  let dropped: string[];
  let hfReport: LoadReport;
  let hfModel: RetrievalModel;
  let reference: RetrievalModel;
  const HF_ONLY_KEY = 'vision_model.embeddings.position_ids';

  beforeAll(async () => {
    const hf: Array<[string, HostTensor]> = [];
    dropped = [];
    for (const [k, t] of Object.entries(fx.weights)) {
      const h = toHfName(k);
      if (h === null) dropped.push(k);
      else hf.push([h, t]);
    }
    // A key only HF has: reported as unexpected under its HF name.
    hf.push([HF_ONLY_KEY, { dtype: 'int64', shape: [1, 5], data: new BigInt64Array([0n, 1n, 2n, 3n, 4n]) }]);
    hfFile = path.join(tmp, 'hf.safetensors');
    await writeSafetensors(hfFile, hf);
    // The UniAdapter side-car: the trained tensors HF has no name for, under their canonical names.
    const sidecar = Object.entries(fx.weights).filter(([k]) => /^adapters\.|video_(key|value)_adapter\.|^temp$/.test(k) && !k.startsWith('text_encoder_m.'));
    sidecarFile = path.join(tmp, 'sidecar.safetensors');
    await writeSafetensors(sidecarFile, sidecar);

    hfModel = await freshModel();
    hfReport = await loadWeights(hfModel, hfFile);
    reference = await freshModel();
    await loadWeights(reference, RETRIEVAL_SAFETENSORS);
  });

  test('the file really is HF-named', () => {
    expect(Object.keys(fx.weights).length).toBeGreaterThan(dropped.length);
    expect(toHfName('visual_encoder.blocks.0.attn.proj.weight')).toBe('vision_model.encoder.layers.0.self_attn.projection.weight');
    // Everything HF lacks is dropped: momentum copies, queues, temp, position_ids, every UniAdapter tensor.
    for (const k of dropped) expect(k).toMatch(/_m\.|_queue$|^temp$|position_ids$|adapter/);
    expect(dropped).toEqual(expect.arrayContaining(['temp', 'image_queue', 'adapters.0.down_proj.weight', 'visual_encoder_m.cls_token']));
  });

  test('the report says hf, and exactly what HF lacks is missing', async () => {
    expect(hfReport.naming).toBe('hf');
    expect(hfReport.file).toBe(hfFile);
    expect(hfReport.unexpected).toEqual([HF_ONLY_KEY]);
    expect(hfReport.mismatched).toEqual([]);
    expect(hfReport.aliasesSkipped).toBe(0);
    const params = (await hfModel.parameterInfo()).entries.map((e) => e.name);
    const lacking = params.filter((n) => /_m\.|^temp$|^adapters\.|video_(key|value)_adapter\./.test(n));
    expect(lacking.length).toBeGreaterThan(50);
    expect([...hfReport.missing].sort()).toEqual([...lacking].sort());
    // Every backbone and head parameter arrived.
    const loaded = new Set(hfReport.loaded);
    for (const n of params.filter((p) => !lacking.includes(p))) expect(loaded.has(n)).toBe(true);
  });

  test('explicit naming hf gives the same report', async () => {
    const m = await freshModel();
    const r = await loadWeights(m, hfFile, { naming: 'hf' });
    expect({ ...r, loaded: [...r.loaded].sort() }).toEqual({ ...hfReport, loaded: [...hfReport.loaded].sort() });
  });

  test('the backbone tensors are the original ones, bit for bit', async () => {
    for (const name of ['visual_encoder.pos_embed', 'visual_encoder.cls_token', 'visual_encoder.blocks.1.attn.proj.weight', 'visual_encoder.norm.bias', 'text_encoder.encoder.layer.1.crossattention.self.key.weight', 'itm_head.weight']) {
      expect(exactDifference(name, await param(hfModel, name), fx.weights[name])).toBeNull();
    }
  });

  test('with the UniAdapter side-car, image, text and ITM outputs equal the original-named load exactly', async () => {
    const before = await retrievalOutputs(hfModel, fx.inputs);
    const sidecar = await loadWeights(hfModel, sidecarFile);
    expect(sidecar.naming).toBe('original');
    expect(sidecar.unexpected).toEqual([]);
    const after = await retrievalOutputs(hfModel, fx.inputs);
    const ref = await retrievalOutputs(reference, fx.inputs);
    expect(exactDifferences(after, ref)).toEqual([]);
    // The adapters matter: without the side-car the outputs were different.
    expect(exactDifference('vit_tokens', before.vit_tokens, ref.vit_tokens)).not.toBeNull();
  });

  test('strict loading of an HF file fails naming what HF lacks', async () => {
    const m = await freshModel();
    await expectUniAdapterError(loadWeights(m, hfFile, { strict: true }), 'ERR_WEIGHTS', hfFile, 'strict', 'missing:', 'temp', `unexpected: ${HF_ONLY_KEY}`);
  });
});

/** PyTorch's bicubic interpolation (align_corners false, A = -0.75, clamped borders) of a [g, g, D] grid. */
function bicubicGrid(src: Float32Array, g: number, d: number, out: number): Float64Array {
  const A = -0.75;
  const c1 = (x: number) => ((A + 2) * x - (A + 3)) * x * x + 1;
  const c2 = (x: number) => ((A * x - 5 * A) * x + 8 * A) * x - 4 * A;
  const weights = (t: number) => [c2(t + 1), c1(t), c1(1 - t), c2(2 - t)];
  const scale = g / out;
  const at = (y: number, x: number, c: number) => {
    const yy = Math.min(Math.max(y, 0), g - 1);
    const xx = Math.min(Math.max(x, 0), g - 1);
    return src[(yy * g + xx) * d + c];
  };
  const res = new Float64Array(out * out * d);
  for (let oy = 0; oy < out; oy++) {
    const ry = (oy + 0.5) * scale - 0.5;
    const iy = Math.floor(ry);
    const wy = weights(ry - iy);
    for (let ox = 0; ox < out; ox++) {
      const rx = (ox + 0.5) * scale - 0.5;
      const ix = Math.floor(rx);
      const wx = weights(rx - ix);
      for (let c = 0; c < d; c++) {
        let v = 0;
        for (let k = 0; k < 4; k++) {
          let row = 0;
          for (let j = 0; j < 4; j++) row += wx[j] * at(iy - 1 + k, ix - 1 + j, c);
          v += wy[k] * row;
        }
        res[(oy * out + ox) * d + c] = v;
      }
    }
  }
  return res;
}

describe('loader semantics (§12.1)', () => {
  const width = 64;

  test('a pos_embed of another square grid is interpolated to the model grid (main and momentum)', async () => {
    const pe3 = f32([1, 1 + 9, width], (i) => Math.sin(0.37 * i) + 0.1 * Math.cos(1.3 * i));
    const pe4 = f32([1, 1 + 16, width], (i) => Math.cos(0.21 * i));
    const file = path.join(tmp, 'pos-embed-3x3.safetensors');
    await writeSafetensors(file, { ...fx.weights, 'visual_encoder.pos_embed': pe3, 'visual_encoder_m.pos_embed': pe4 });
    const m = await freshModel();
    const r = await loadWeights(m, file);
    expect([...r.interpolated].sort()).toEqual(['visual_encoder.pos_embed', 'visual_encoder_m.pos_embed']);
    expect(r.mismatched).toEqual([]);
    expect(r.missing).toEqual([]);
    for (const [name, src, g] of [['visual_encoder.pos_embed', pe3, 3], ['visual_encoder_m.pos_embed', pe4, 4]] as const) {
      const got = await param(m, name);
      expect(got.shape).toEqual([1, 5, width]);
      const data = got.data as Float32Array;
      const srcData = src.data as Float32Array;
      // The CLS row is kept as it is.
      for (let c = 0; c < width; c++) expect(data[c]).toBe(srcData[c]);
      const want = bicubicGrid(srcData.subarray(width), g, width, 2);
      let worst = 0;
      for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(data[width + i] - want[i]));
      expect(worst).toBeLessThan(1e-5);
    }
    // Strict loading accepts an interpolated table.
    const strict = await loadWeights(m, file, { strict: true });
    expect(strict.interpolated).toContain('visual_encoder.pos_embed');
  });

  test('an HF position_embedding of another grid is interpolated too', async () => {
    const pe3 = f32([1, 10, width], (i) => Math.sin(0.11 * i));
    const file = path.join(tmp, 'hf-pos-embed.safetensors');
    await writeSafetensors(file, {
      'vision_model.embeddings.position_embedding': pe3,
      'vision_model.embeddings.class_embedding': fx.weights['visual_encoder.cls_token'],
    });
    const m = await freshModel();
    const r = await loadWeights(m, file);
    expect(r.naming).toBe('hf');
    expect(r.interpolated).toEqual(['visual_encoder.pos_embed']);
    expect((await param(m, 'visual_encoder.pos_embed')).shape).toEqual([1, 5, width]);
  });

  test('a pos_embed that cannot be interpolated (not a square grid, other width) is dropped as a mismatch', async () => {
    const m = await freshModel();
    const initial = await param(m, 'visual_encoder.pos_embed');
    const initialM = await param(m, 'visual_encoder_m.pos_embed');
    const file = path.join(tmp, 'pos-embed-bad.safetensors');
    await writeSafetensors(file, {
      ...fx.weights,
      'visual_encoder.pos_embed': f32([1, 7, width], (i) => i),
      'visual_encoder_m.pos_embed': f32([1, 10, 32], (i) => i),
    });
    const r = await loadWeights(m, file);
    expect([...r.mismatched].sort()).toEqual(['visual_encoder.pos_embed [1, 7, 64] != [1, 5, 64]', 'visual_encoder_m.pos_embed [1, 10, 32] != [1, 5, 64]']);
    expect(r.interpolated).toEqual([]);
    expect(exactDifference('pos_embed', await param(m, 'visual_encoder.pos_embed'), initial)).toBeNull();
    expect(exactDifference('pos_embed_m', await param(m, 'visual_encoder_m.pos_embed'), initialM)).toBeNull();
    await expectUniAdapterError(loadWeights(m, file, { strict: true }), 'ERR_WEIGHTS', file, 'visual_encoder.pos_embed [1, 7, 64] != [1, 5, 64]');
  });

  describe('a tensor of another shape', () => {
    let file: string;
    const badItm = f32([3, width], (i) => i / 100);

    beforeAll(async () => {
      file = path.join(tmp, 'itm-3-rows.safetensors');
      // Every other tensor is the fixture's, text_proj.weight scaled so that a load is visible.
      const textProj = fx.weights['text_proj.weight'];
      await writeSafetensors(file, {
        ...fx.weights,
        'itm_head.weight': badItm,
        'text_proj.weight': f32(textProj.shape, (i) => 2 * (textProj.data as Float32Array)[i]),
      });
    });

    test('is dropped and listed in mismatched when not strict; the rest loads', async () => {
      const m = await freshModel();
      const initial = await param(m, 'itm_head.weight');
      const r = await loadWeights(m, file);
      expect(r.mismatched).toEqual(['itm_head.weight [3, 64] != [2, 64]']);
      expect(r.missing).toEqual(['itm_head.weight']);
      expect(r.loaded).not.toContain('itm_head.weight');
      expect(r.loaded).toContain('text_proj.weight');
      expect(exactDifference('itm_head.weight', await param(m, 'itm_head.weight'), initial)).toBeNull();
      expect(exactDifference('itm_head.bias', await param(m, 'itm_head.bias'), fx.weights['itm_head.bias'])).toBeNull();
    });

    test('fails with ERR_WEIGHTS naming the key in strict mode, before anything is copied', async () => {
      const m = await freshModel();
      await loadWeights(m, RETRIEVAL_SAFETENSORS);
      const e = await expectUniAdapterError(loadWeights(m, file, { strict: true }), 'ERR_WEIGHTS', file, 'strict', 'itm_head.weight', '[3, 64]', '[2, 64]');
      expect(e.message).toContain('shape mismatch');
      // The model still holds the previous weights (text_proj.weight was not overwritten).
      expect(exactDifference('text_proj.weight', await param(m, 'text_proj.weight'), fx.weights['text_proj.weight'])).toBeNull();
      expect(exactDifference('itm_head.weight', await param(m, 'itm_head.weight'), fx.weights['itm_head.weight'])).toBeNull();
    });
  });

  describe('missing and unexpected keys', () => {
    let file: string;
    const dropped = ['itm_head.bias', 'adapters.1.up_proj.bias'];

    beforeAll(async () => {
      const w: Record<string, HostTensor> = {};
      for (const [k, t] of Object.entries(fx.weights)) {
        if (k === 'itm_head.bias') continue;
        // adapters.1.up_proj.bias and every alias of it: gone.
        if (/(^|\.)(adapters\.1|blocks\.1\.adapter|layer\.1\.adapter)\.up_proj\.bias$/.test(k) && !/_m\./.test(k)) continue;
        // adapters.0.down_proj.weight only under an alias: loaded from it.
        if (k === 'adapters.0.down_proj.weight') continue;
        w[k] = t;
      }
      w['text_encoder.pooler.dense.weight'] = f32([width, width], (i) => i);
      w['extra_head.bias'] = f32([2], (i) => i);
      file = path.join(tmp, 'missing-unexpected.safetensors');
      await writeSafetensors(file, w);
    });

    test('are reported by name; an alias stands in for an absent canonical key', async () => {
      const m = await freshModel();
      const r = await loadWeights(m, file);
      expect([...r.missing].sort()).toEqual([...dropped].sort());
      expect([...r.unexpected].sort()).toEqual(['extra_head.bias', 'text_encoder.pooler.dense.weight']);
      expect(r.mismatched).toEqual([]);
      expect(r.loaded).toContain('adapters.0.down_proj.weight');
      expect(exactDifference('down_proj', await param(m, 'adapters.0.down_proj.weight'), fx.weights['adapters.0.down_proj.weight'])).toBeNull();
    });

    test('strict mode fails listing them', async () => {
      const m = await freshModel();
      await expectUniAdapterError(
        loadWeights(m, file, { strict: true }),
        'ERR_WEIGHTS',
        file,
        'strict loading failed',
        'missing:',
        'itm_head.bias',
        'adapters.1.up_proj.bias',
        'unexpected:',
        'extra_head.bias',
        'text_encoder.pooler.dense.weight'
      );
    });

    test('strict mode passes on the complete fixture', async () => {
      const m = await freshModel();
      const r = await loadWeights(m, RETRIEVAL_PTH, { strict: true });
      expect(r.missing).toEqual([]);
    });
  });

  test('onProgress counts up to the number of tensors loaded, in chunks of chunkBytes', async () => {
    const m = await freshModel();
    const calls: Array<[number, number]> = [];
    const r = await loadWeights(m, RETRIEVAL_PTH, { chunkBytes: 64 * 1024, onProgress: (d, t) => calls.push([d, t]) });
    expect(calls.length).toBeGreaterThan(3);
    const last = calls[calls.length - 1];
    expect(last[0]).toBe(last[1]);
    expect(last[0]).toBe(r.loaded.length);
    for (let i = 1; i < calls.length; i++) expect(calls[i][0]).toBeGreaterThan(calls[i - 1][0]);
  });
});
