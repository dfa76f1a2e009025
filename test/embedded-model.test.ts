/**
 * The embedded default backbone: shipped with its manifest (the configuration, command and seed that
 * made it, and a checksum that matches the file), at most 25 MB, of the demo's architecture, and a
 * BLIP checkpoint that each of the demo's task models loads with no backbone tensor missing. A file
 * that does not match its manifest is refused with the command that rebuilds it. The embedded VQA
 * backbone holds only what its VQA fine-tuning changed, names the pretrained file as its base, keeps
 * both files within the 25 MB, and loads into the demo's VQA model whole.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import YAML from 'yaml';
import { demoModelConfig, FULL_PLAN } from '../lib/tools/demo/demo-plan';
import { CaptionModel } from '../lib/model/caption-model';
import { RetrievalModel } from '../lib/model/retrieval-model';
import { VqaModel } from '../lib/model/vqa-model';
import type { ModelConfig } from '../lib/config/model-config';
import { SafetensorsFile } from '../lib/io/safetensors';
import { BASE_METADATA_KEY } from '../lib/weights/checkpoint-view';
import { EMBEDDED_MANIFEST, embeddedModel } from '../lib/weights/embedded-model';
import { loadWeights } from '../lib/weights/load-weights';
import { readVerifiedManifest, sha256File } from '../lib/weights/pretrained-manifest';
import { expectUniAdapterError } from './helpers/expect-error';

jest.setTimeout(120_000);

describe('the embedded pretrained model', () => {
  it('matches its manifest, is at most 25 MB and is rebuilt by the command the manifest names', async () => {
    const { manifest, weights } = await embeddedModel();
    const size = fs.statSync(weights).size;
    expect(size).toBe(manifest.bytes);
    expect(size).toBeLessThanOrEqual(25 * 1024 * 1024);
    expect(await sha256File(weights)).toBe(manifest.sha256);
    expect(manifest.command).toBe('uniadapter pretrain --config configs/pretrain-demo.yaml');
    // The config in the repository is the one that made the file: neither was changed without the other.
    const config = YAML.parse(fs.readFileSync(path.join(__dirname, '..', 'configs', 'pretrain-demo.yaml'), 'utf8'));
    expect(manifest.config).toEqual(config);
    expect(manifest.steps).toBeGreaterThan(0);
    expect(manifest.seed).toBe(manifest.config.seed);
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as { files: string[] };
    expect(pkg.files).toContain('models');
  });

  it("has the demo's architecture", async () => {
    const { manifest } = await embeddedModel();
    const made = manifest.config.model.config as ModelConfig;
    const demo = demoModelConfig('retrieval', FULL_PLAN);
    expect(made.vision).toEqual(demo.vision);
    expect(made.text).toEqual(demo.text);
    expect(made.decoder).toEqual(demo.decoder);
    expect(made.embedDim).toBe(demo.embedDim);
  });

  it.each(['retrieval', 'vqa', 'caption'] as const)('loads into the demo %s model with no backbone tensor missing', async (task) => {
    const { weights } = await embeddedModel();
    const cfg = demoModelConfig(task, FULL_PLAN);
    const model = task === 'retrieval' ? await RetrievalModel.create(cfg) : task === 'vqa' ? await VqaModel.create(cfg) : await CaptionModel.create(cfg);
    try {
      const report = await loadWeights(model, weights);
      const info = await model.parameterInfo();
      // The frozen backbone (UniAdapter's own modules, trained or not, are not in a BLIP checkpoint).
      const frozen = new Set(info.entries.filter((e) => !e.trainable && e.group !== 'momentum' && !/(^|\.)adapters?[._]|video_|kv_adapter/.test(e.name)).map((e) => e.name));
      expect(frozen.size).toBeGreaterThan(100);
      expect(report.missing.filter((n) => frozen.has(n))).toEqual([]);
      expect(report.mismatched).toEqual([]);
    } finally {
      await model.dispose();
    }
  });

  it('refuses a copy that does not match its manifest, naming the rebuild command', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uniadapter-embedded-'));
    try {
      const manifest = path.join(dir, 'demo-blip.json');
      fs.copyFileSync(EMBEDDED_MANIFEST, manifest);
      const { manifest: m } = await embeddedModel();
      const bytes = fs.readFileSync(path.join(path.dirname(EMBEDDED_MANIFEST), m.weights));
      bytes[bytes.length - 5] ^= 0xff;
      fs.writeFileSync(path.join(dir, m.weights), bytes);
      await expectUniAdapterError(readVerifiedManifest(manifest), 'ERR_WEIGHTS', 'does not match its manifest', m.command);
      fs.rmSync(path.join(dir, m.weights));
      await expectUniAdapterError(readVerifiedManifest(manifest), 'ERR_WEIGHTS', 'missing');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the embedded VQA backbone', () => {
  it('matches its manifest and its config, names the pretrained file as its base, and keeps both within 25 MB', async () => {
    const { manifest, weights } = await embeddedModel('vqa');
    const pretrained = await embeddedModel();
    expect(manifest.command).toBe('uniadapter pretrain --config configs/pretrain-demo-vqa.yaml');
    const config = YAML.parse(fs.readFileSync(path.join(__dirname, '..', 'configs', 'pretrain-demo-vqa.yaml'), 'utf8'));
    expect(manifest.config).toEqual(config);
    expect(manifest.config.model.config?.petl).toEqual({ method: 'full', freeze: ['word_embeddings'] });
    const base = { file: path.basename(pretrained.weights), bytes: pretrained.manifest.bytes, sha256: pretrained.manifest.sha256 };
    expect(manifest.base).toEqual(base);
    const file = await SafetensorsFile.open(weights);
    try {
      expect(JSON.parse(file.metadata[BASE_METADATA_KEY])).toEqual(base);
      expect(file.names().filter((n) => /word_embeddings/.test(n))).toEqual([]);
    } finally {
      await file.close();
    }
    expect(manifest.bytes + pretrained.manifest.bytes).toBeLessThanOrEqual(25 * 1024 * 1024);
  });

  it('loads into the demo VQA model with every parameter from it or its base, and differs from the pretrained model', async () => {
    const { weights } = await embeddedModel('vqa');
    const cfg = demoModelConfig('vqa', FULL_PLAN);
    await using tuned = await VqaModel.create({ ...cfg, petl: { method: 'none' } });
    await using plain = await VqaModel.create({ ...cfg, petl: { method: 'none' } });
    const report = await loadWeights(tuned, weights);
    expect(report.missing).toEqual([]);
    expect(report.mismatched).toEqual([]);
    await loadWeights(plain, (await embeddedModel()).weights);
    const names = ['text_decoder.cls.predictions.bias', 'text_encoder.embeddings.word_embeddings.weight'];
    const [a, b] = [await tuned.stateDict('all', names), await plain.stateDict('all', names)];
    const differs = (n: string) => Array.from(a[n].data as Float32Array).some((v, i) => v !== (b[n].data as Float32Array)[i]);
    expect(differs('text_decoder.cls.predictions.bias')).toBe(true);
    expect(differs('text_encoder.embeddings.word_embeddings.weight')).toBe(false);
  });
});
