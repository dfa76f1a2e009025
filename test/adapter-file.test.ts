/**
 * Adapter files (lib/weights/adapter-file.ts): a perturbed adapter saved alone and loaded into a fresh
 * model with the same backbone reproduces the outputs bit for bit; the file holds only PETL/trainable
 * tensors with metadata; incompatible models and other backbones are refused with a message that says
 * which setting differs; writes are atomic.
 */
import { promises as fsp } from 'fs';
import * as path from 'path';
import type { ModelConfig } from '../lib/config/model-config';
import { openGoldenCase } from '../lib/tools/golden/run-case';
import { SafetensorsFile, writeSafetensors } from '../lib/io/safetensors';
import { RetrievalModel } from '../lib/model/retrieval-model';
import { VqaModel } from '../lib/model/vqa-model';
import type { HostTensor } from '../lib/tensor';
import {
  ADAPTER_FORMAT,
  backboneFingerprint,
  loadAdapter,
  readAdapterMetadata,
  saveAdapter,
  type SaveAdapterResult,
} from '../lib/weights/adapter-file';
import { loadWeights } from '../lib/weights/load-weights';
import { GOLDEN_TINY } from './helpers/fixtures';
import {
  RETRIEVAL_SAFETENSORS,
  exactDifference,
  exactDifferences,
  expectUniAdapterError,
  makeTempDir,
  maxAbsDiff,
  removeTempDir,
  retrievalFixture,
  retrievalOutputs,
  type RetrievalFixture,
} from './helpers/weights-fixtures';

let fx: RetrievalFixture;
let tmp: string;
let saveDir: string;
let adapterPath: string;
let perturbed: RetrievalModel;
let perturbedOutputs: Record<string, HostTensor>;
let perturbedAdapter: Record<string, HostTensor>;
let saved: SaveAdapterResult;
const models: Array<{ dispose(): Promise<void> }> = [];

async function retrievalModel(config: ModelConfig, weights: string | null = RETRIEVAL_SAFETENSORS): Promise<RetrievalModel> {
  const m = await RetrievalModel.create(config);
  models.push(m);
  if (weights) await loadWeights(m, weights);
  return m;
}

/** adapter tensors + 0.01 * sin(i), i running over all their elements in name order. */
function perturb(tensors: Record<string, HostTensor>): Record<string, HostTensor> {
  const out: Record<string, HostTensor> = {};
  let i = 0;
  for (const name of Object.keys(tensors).sort()) {
    const t = tensors[name];
    const src = t.data as Float32Array;
    const data = new Float32Array(src.length);
    for (let k = 0; k < src.length; k++) data[k] = src[k] + 0.01 * Math.sin(i++);
    out[name] = { dtype: 'float32', shape: [...t.shape], data };
  }
  return out;
}

beforeAll(async () => {
  fx = await retrievalFixture();
  tmp = await makeTempDir('adapter-file');
  saveDir = path.join(tmp, 'save');
  await fsp.mkdir(saveDir);
  adapterPath = path.join(saveDir, 'tiny.adapter.safetensors');
  perturbed = await retrievalModel(fx.config);
  const original = await perturbed.stateDict('adapter');
  expect(Object.values(original).every((t) => t.dtype === 'float32')).toBe(true);
  await perturbed.loadTensors(perturb(original), { dropMismatched: false });
  perturbedAdapter = await perturbed.stateDict('adapter');
  perturbedOutputs = await retrievalOutputs(perturbed, fx.inputs);
  saved = await saveAdapter(perturbed, adapterPath, { step: 1234, notes: 'perturbed, not trained' });
});

afterAll(async () => {
  for (const m of models) await m.dispose();
  await removeTempDir(tmp);
});

describe('round trip', () => {
  test('the perturbation changed what the model computes', async () => {
    expect(maxAbsDiff(perturbedOutputs.image_feat, fx.expected.image_feat)).toBeGreaterThan(1e-4);
    expect(maxAbsDiff(perturbedOutputs.text_feat, fx.expected.text_feat)).toBeGreaterThan(1e-4);
  });

  test('a fresh model with the same backbone gives bit-identical image, text and ITM outputs after loadAdapter', async () => {
    const fresh = await retrievalModel(fx.config);
    const before = await retrievalOutputs(fresh, fx.inputs);
    expect(exactDifferences(before, perturbedOutputs).length).toBeGreaterThan(0);
    const meta = await loadAdapter(fresh, adapterPath);
    expect(meta.step).toBe(1234);
    expect(exactDifferences(await retrievalOutputs(fresh, fx.inputs), perturbedOutputs)).toEqual([]);
    expect(exactDifferences(await fresh.stateDict('adapter'), perturbedAdapter)).toEqual([]);
    // The backbone was not touched.
    const name = 'visual_encoder.blocks.0.attn.qkv.weight';
    expect(exactDifference(name, (await fresh.stateDict('all', [name]))[name], fx.weights[name])).toBeNull();
  });

  test('an equivalent configuration spelled differently (defaults left out, modalities reordered) is accepted', async () => {
    const petl = { ...fx.config.petl };
    delete petl.scale;
    delete petl.share;
    petl.modalities = [...(petl.modalities ?? [])].reverse();
    petl.layers = [1, fx.config.vision?.depth as number];
    const m = await retrievalModel({ ...fx.config, petl });
    await loadAdapter(m, adapterPath);
    expect(exactDifferences(await retrievalOutputs(m, fx.inputs), perturbedOutputs)).toEqual([]);
  });
});

describe('the file', () => {
  test('holds only the adapter: PETL and trainable tensors, no backbone or momentum tensor', async () => {
    const info = await perturbed.parameterInfo();
    const byName = new Map(info.entries.map((e) => [e.name, e]));
    const file = await SafetensorsFile.open(adapterPath);
    try {
      const names = file.names();
      expect([...names].sort()).toEqual(Object.keys(perturbedAdapter).sort());
      expect(names.length).toBe(saved.tensors);
      for (const n of names) {
        const e = byName.get(n);
        expect(e).toBeDefined();
        expect(e!.trainable || ['uniadapter', 'kvAdapter'].includes(e!.group)).toBe(true);
        expect(['vision', 'textEncoder', 'momentum', 'temperature']).not.toContain(e!.group);
        expect(n).not.toMatch(/_m\.|^visual_encoder\.(blocks|patch_embed|norm|pos_embed|cls_token)|attention\.self|intermediate|_queue$/);
        expect(exactDifference(n, await file.read(n), perturbedAdapter[n])).toBeNull();
      }
      // Everything the model trains is in it.
      for (const e of info.entries.filter((x) => x.trainable)) expect(names).toContain(e.name);
      expect(names).toEqual(expect.arrayContaining(['adapters.0.down_proj.weight', 'adapters.1.adapter_layer_norm_cross_modal.bias', 'text_encoder.encoder.video_key_adapter.scale', 'itm_head.weight']));
    } finally {
      await file.close();
    }
  });

  test('its size is reported and is a small fraction of the backbone', async () => {
    const stat = await fsp.stat(adapterPath);
    expect(saved.path).toBe(adapterPath);
    expect(saved.bytes).toBe(stat.size);
    const info = await perturbed.parameterInfo();
    const inFile = new Set(Object.keys(perturbedAdapter));
    expect(saved.parameters).toBe(info.entries.filter((e) => inFile.has(e.name)).reduce((s, e) => s + e.numel, 0));
    const backboneBytes = 4 * (info.counts.byGroup.vision + info.counts.byGroup.textEncoder);
    expect(saved.bytes).toBeLessThan(backboneBytes / 5);
    expect(saved.bytes).toBeGreaterThan(4 * saved.parameters);
    expect(saved.bytes).toBeLessThan(4 * saved.parameters + 16 * 1024);
  });

  test('its metadata records format, task, method, settings, architecture, backbone fingerprint and step', async () => {
    const meta = await readAdapterMetadata(adapterPath);
    expect(meta).toEqual(saved.metadata);
    expect(meta.format).toBe(ADAPTER_FORMAT);
    expect(meta.task).toBe('retrieval');
    expect(meta.method).toBe('uniadapter');
    expect(meta.petl.bottleneck).toBe(16);
    expect(meta.architecture.vision.width).toBe(64);
    expect(meta.backbone).toEqual(await backboneFingerprint(perturbed));
    expect(meta.step).toBe(1234);
    expect(meta.notes).toBe('perturbed, not trained');
    expect(Number.isNaN(Date.parse(meta.createdAt))).toBe(false);
  });

  test('the fingerprint ignores the adapter and follows the backbone', async () => {
    const plain = await retrievalModel(fx.config);
    expect((await backboneFingerprint(plain)).fingerprint).toBe(saved.metadata.backbone.fingerprint);
    const unloaded = await retrievalModel(fx.config, null);
    expect((await backboneFingerprint(unloaded)).fingerprint).not.toBe(saved.metadata.backbone.fingerprint);
  });

  test('readAdapterMetadata of a checkpoint that is no adapter file: ERR_WEIGHTS', async () => {
    await expectUniAdapterError(readAdapterMetadata(RETRIEVAL_SAFETENSORS), 'ERR_WEIGHTS', RETRIEVAL_SAFETENSORS, 'not a uniadapter adapter file');
  });

  test('a file with a tensor removed is refused, naming it', async () => {
    const file = await SafetensorsFile.open(adapterPath);
    const tensors: Array<[string, HostTensor]> = [];
    for (const n of file.names()) if (n !== 'adapters.1.up_proj.weight') tensors.push([n, await file.read(n)]);
    const metadata = file.metadata;
    await file.close();
    const broken = path.join(tmp, 'broken.safetensors');
    await writeSafetensors(broken, tensors, metadata);
    const m = await retrievalModel(fx.config);
    await expectUniAdapterError(loadAdapter(m, broken), 'ERR_WEIGHTS', broken, 'missing: adapters.1.up_proj.weight');
  });
});

describe('incompatible models', () => {
  test('another bottleneck: ERR_WEIGHTS naming petl.bottleneck', async () => {
    const m = await retrievalModel({ ...fx.config, petl: { ...fx.config.petl, bottleneck: 8 } });
    const before = await m.stateDict('adapter');
    await expectUniAdapterError(loadAdapter(m, adapterPath), 'ERR_WEIGHTS', adapterPath, 'petl.bottleneck', 'adapter 16', 'model 8');
    expect(exactDifferences(await m.stateDict('adapter'), before)).toEqual([]);
  });

  test('another method: ERR_WEIGHTS naming petl.method', async () => {
    const m = await retrievalModel({ ...fx.config, petl: { method: 'lora', loraRank: 4 } });
    await expectUniAdapterError(loadAdapter(m, adapterPath), 'ERR_WEIGHTS', adapterPath, 'petl.method', '"uniadapter"', '"lora"');
  });

  test('another scale: ERR_WEIGHTS naming petl.scale', async () => {
    const m = await retrievalModel({ ...fx.config, petl: { ...fx.config.petl, scale: 0.2 } });
    await expectUniAdapterError(loadAdapter(m, adapterPath), 'ERR_WEIGHTS', adapterPath, 'petl.scale');
  });

  test('another task: ERR_WEIGHTS naming the task', async () => {
    const vqa = await openGoldenCase(path.join(GOLDEN_TINY, 'vqa'));
    const m = await VqaModel.create(vqa.modelConfig);
    models.push(m);
    await expectUniAdapterError(loadAdapter(m, adapterPath), 'ERR_WEIGHTS', adapterPath, "task: adapter 'retrieval', model 'vqa'");
  });

  test('another backbone: ERR_WEIGHTS about the fingerprint; allowBackboneMismatch loads it anyway', async () => {
    const m = await retrievalModel(fx.config);
    const name = 'visual_encoder.blocks.1.mlp.fc1.weight';
    const t = fx.weights[name];
    const changed = new Float32Array(t.data as Float32Array);
    changed[0] += 0.5;
    await m.loadTensors({ [name]: { dtype: 'float32', shape: [...t.shape], data: changed } }, { dropMismatched: false });
    const before = await m.stateDict('adapter');
    await expectUniAdapterError(loadAdapter(m, adapterPath), 'ERR_WEIGHTS', adapterPath, 'another backbone', 'fingerprint', saved.metadata.backbone.fingerprint, 'allowBackboneMismatch');
    expect(exactDifferences(await m.stateDict('adapter'), before)).toEqual([]);
    await loadAdapter(m, adapterPath, { allowBackboneMismatch: true });
    expect(exactDifferences(await m.stateDict('adapter'), perturbedAdapter)).toEqual([]);
    // The outputs differ from the perturbed model's only through the changed ViT weight: texts agree.
    const out = await retrievalOutputs(m, fx.inputs);
    expect(exactDifference('text_feat', out.text_feat, perturbedOutputs.text_feat)).toBeNull();
    expect(exactDifference('image_feat', out.image_feat, perturbedOutputs.image_feat)).not.toBeNull();
  });

  test('a model with no backbone loaded is refused too', async () => {
    const m = await retrievalModel(fx.config, null);
    await expectUniAdapterError(loadAdapter(m, adapterPath), 'ERR_WEIGHTS', 'fingerprint');
  });
});

describe('atomic writes', () => {

  test('a successful save leaves exactly the file, no temporary file', async () => {
    expect(await fsp.readdir(saveDir)).toEqual([path.basename(adapterPath)]);
  });

  test('saving over an existing file replaces it completely', async () => {
    const dir = path.join(tmp, 'overwrite');
    await fsp.mkdir(dir);
    const file = path.join(dir, 'a.safetensors');
    await fsp.writeFile(file, Buffer.alloc(200000, 7));
    const r = await saveAdapter(perturbed, file, { step: 2 });
    expect(await fsp.readdir(dir)).toEqual(['a.safetensors']);
    expect((await fsp.stat(file)).size).toBe(r.bytes);
    expect((await readAdapterMetadata(file)).step).toBe(2);
  });

  test('into a folder that does not exist: ERR_IO naming the path, nothing written', async () => {
    const file = path.join(tmp, 'no-such-folder', 'a.safetensors');
    await expectUniAdapterError(saveAdapter(perturbed, file), 'ERR_IO', file);
    await expect(fsp.access(path.dirname(file))).rejects.toThrow();
  });

  test('below a path that is a file: ERR_IO, nothing written', async () => {
    const dir = path.join(tmp, 'not-a-folder');
    await fsp.mkdir(dir);
    const blocker = path.join(dir, 'plain-file');
    await fsp.writeFile(blocker, 'x');
    await expectUniAdapterError(saveAdapter(perturbed, path.join(blocker, 'a.safetensors')), 'ERR_IO', blocker);
    expect(await fsp.readdir(dir)).toEqual(['plain-file']);
  });

  test('onto an existing folder (the rename fails after the data was written): ERR_IO, the temporary file is removed', async () => {
    const dir = path.join(tmp, 'rename-fails');
    const target = path.join(dir, 'adapter.safetensors');
    await fsp.mkdir(target, { recursive: true });
    await fsp.writeFile(path.join(target, 'keep'), 'x');
    await expectUniAdapterError(saveAdapter(perturbed, target), 'ERR_IO', target);
    expect(await fsp.readdir(dir)).toEqual(['adapter.safetensors']);
    expect(await fsp.readdir(target)).toEqual(['keep']);
  });
});
