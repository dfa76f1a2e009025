/**
 * Adapter files: the PETL tensors of a model alone (plus whatever else its rule trains, such as the
 * retrieval heads), in safetensors with metadata — method, options, architecture, a fingerprint of
 * the frozen backbone and the training step — written atomically. Loading checks that the model is
 * compatible and says which setting differs.
 */
import * as fs from 'fs';
import type { ModelConfig, PetlConfig, ResolvedModelConfig } from '../config/model-config';
import { UniAdapterError } from '../errors';
import { SafetensorsFile, writeSafetensors } from '../io/safetensors';
import type { BlipModel } from '../model/blip-model';
import { countNonFinite, emptyTensorMap, type HostTensor } from '../tensor';

/** /2: `petl` holds the model's resolved settings (/1 held what the user wrote, defaults left out). */
export const ADAPTER_FORMAT = 'uniadapter-adapter/2';

export interface AdapterMetadata {
  format: typeof ADAPTER_FORMAT;
  task: ModelConfig['task'];
  method: PetlConfig['method'];
  petl: Required<PetlConfig>;
  architecture: Architecture;
  backbone: { fingerprint: string; tensors: number };
  step?: number;
  createdAt: string;
  library: string;
  notes?: string;
}

interface Architecture {
  vision: { width: number; depth: number; heads: number; patchSize: number; mlpHidden: number };
  text: { hidden: number; layers: number; heads: number; intermediate: number; vocabSize: number };
  embedDim: number;
}

export interface SaveAdapterResult {
  path: string;
  bytes: number;
  tensors: number;
  parameters: number;
  metadata: AdapterMetadata;
}

/** The settings that change an adapter's tensors or what they compute. */
const PETL_KEYS: Array<keyof PetlConfig> = [
  'method',
  'bottleneck',
  'scale',
  'share',
  'queryResidual',
  'modalities',
  'layers',
  'kvAdapter',
  'kvBottleneck',
  'pfa',
  'loraRank',
  'loraAlpha',
  'prefixLength',
];

function architectureOf(c: ResolvedModelConfig): Architecture {
  return {
    vision: { width: c.vision.width, depth: c.vision.depth, heads: c.vision.heads, patchSize: c.vision.patchSize, mlpHidden: c.vision.mlpHidden },
    text: { hidden: c.text.hidden, layers: c.text.layers, heads: c.text.heads, intermediate: c.text.intermediate, vocabSize: c.text.vocabSize },
    embedDim: c.embedDim,
  };
}

/** The frozen backbone's fingerprint (values rounded to bfloat16, so fp32 and bf16 copies agree). */
export async function backboneFingerprint(model: BlipModel): Promise<{ fingerprint: string; tensors: number }> {
  const r = await model.fingerprint();
  return { fingerprint: r.fingerprint, tensors: r.tensors };
}

export async function saveAdapter(model: BlipModel, path: string, extra: { step?: number; notes?: string } = {}): Promise<SaveAdapterResult> {
  const tensors = await model.stateDict('adapter');
  const names = Object.keys(tensors).sort();
  if (names.length === 0) {
    throw new UniAdapterError('ERR_STATE', `the model has no adapter tensors to save (method '${model.config.petl.method}')`);
  }
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const pkg = require('../../package.json') as { version: string };
  const metadata: AdapterMetadata = {
    format: ADAPTER_FORMAT,
    task: model.config.task,
    method: model.config.petl.method,
    petl: model.config.petl,
    architecture: architectureOf(model.config),
    backbone: await backboneFingerprint(model),
    ...(extra.step !== undefined ? { step: extra.step } : {}),
    createdAt: new Date().toISOString(),
    library: `uniadapter ${pkg.version}`,
    ...(extra.notes ? { notes: extra.notes } : {}),
  };
  await writeSafetensors(
    path,
    names.map((n) => [n, tensors[n]] as [string, HostTensor]),
    { uniadapter: JSON.stringify(metadata) }
  );
  return {
    path,
    bytes: fs.statSync(path).size,
    tensors: names.length,
    parameters: names.reduce((s, n) => s + tensors[n].data.length, 0),
    metadata,
  };
}

export async function readAdapterMetadata(path: string): Promise<AdapterMetadata> {
  const file = await SafetensorsFile.open(path);
  try {
    return parseMetadata(path, file.metadata);
  } finally {
    await file.close();
  }
}

function parseMetadata(path: string, meta: Record<string, string>): AdapterMetadata {
  const raw = meta.uniadapter;
  if (!raw) throw new UniAdapterError('ERR_WEIGHTS', `${path} is not a uniadapter adapter file (no 'uniadapter' metadata)`);
  let m: AdapterMetadata;
  try {
    m = JSON.parse(raw);
  } catch {
    throw new UniAdapterError('ERR_FORMAT', `${path}: the adapter metadata is not valid JSON`);
  }
  if (m.format !== ADAPTER_FORMAT) {
    const hint = String(m.format) === 'uniadapter-adapter/1' ? ': it was written by an earlier version; save it again from its training checkpoint with this one' : '';
    throw new UniAdapterError('ERR_WEIGHTS', `${path}: unsupported adapter format '${m.format}' (expected ${ADAPTER_FORMAT})${hint}`);
  }
  return m;
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/**
 * Every difference between the adapter's settings and the model's, as readable lines. Both sides are
 * configurations as the core resolved them (an adapter file records its model's resolved settings),
 * so a setting left out and the same setting given at its default are the same adapter.
 */
function incompatibilities(m: AdapterMetadata, config: ResolvedModelConfig): string[] {
  const out: string[] = [];
  if (m.task !== config.task) out.push(`task: adapter '${m.task}', model '${config.task}'`);
  const arch = architectureOf(config);
  for (const k of PETL_KEYS) {
    const theirs = m.petl[k];
    const mine = config.petl[k];
    if (!same(theirs, mine)) out.push(`petl.${k}: adapter ${JSON.stringify(theirs ?? null)}, model ${JSON.stringify(mine)}`);
  }
  for (const part of ['vision', 'text'] as const) {
    for (const [k, v] of Object.entries(m.architecture[part])) {
      const own = (arch[part] as Record<string, number>)[k];
      if (v !== own) out.push(`${part}.${k}: adapter ${v}, model ${own}`);
    }
  }
  if (m.architecture.embedDim !== arch.embedDim) out.push(`embedDim: adapter ${m.architecture.embedDim}, model ${arch.embedDim}`);
  return out;
}

export interface LoadAdapterOptions {
  /** Load even if the adapter was trained on another backbone (the outputs will differ). */
  allowBackboneMismatch?: boolean;
}

export async function loadAdapter(model: BlipModel, path: string, options: LoadAdapterOptions = {}): Promise<AdapterMetadata> {
  const file = await SafetensorsFile.open(path);
  try {
    const m = parseMetadata(path, file.metadata);
    const problems = incompatibilities(m, model.config);
    if (problems.length) {
      throw new UniAdapterError('ERR_WEIGHTS', `${path} does not fit this model: ${problems.join('; ')}`);
    }
    const backbone = await backboneFingerprint(model);
    if (!options.allowBackboneMismatch && backbone.fingerprint !== m.backbone.fingerprint) {
      throw new UniAdapterError(
        'ERR_WEIGHTS',
        `${path} was trained on another backbone (fingerprint ${m.backbone.fingerprint}, this model's is ${backbone.fingerprint}): ` +
          'load the same BLIP checkpoint first, or pass allowBackboneMismatch'
      );
    }
    const expected = Object.keys(await model.stateDict('adapter')).sort();
    const present = file.names().slice().sort();
    const missing = expected.filter((n) => !present.includes(n));
    const extra = present.filter((n) => !expected.includes(n));
    if (missing.length || extra.length) {
      throw new UniAdapterError(
        'ERR_WEIGHTS',
        `${path}: tensors do not match the model's adapter (missing: ${missing.slice(0, 5).join(', ') || 'none'}; unknown: ${extra.slice(0, 5).join(', ') || 'none'})`
      );
    }
    const tensors = emptyTensorMap();
    for (const n of present) {
      const t = await file.read(n);
      const bad = countNonFinite(t);
      if (bad > 0) {
        throw new UniAdapterError(
          'ERR_WEIGHTS',
          `${path}: tensor '${n}' holds ${bad} non-finite value${bad === 1 ? '' : 's'} (NaN or ±∞) of ${t.data.length}; every output would be NaN. The file is corrupt or its training diverged: use an earlier adapter`
        );
      }
      tensors[n] = t;
    }
    try {
      await model.loadTensors(tensors, { dropMismatched: false });
    } catch (e) {
      throw new UniAdapterError((e as UniAdapterError).code ?? 'ERR_WEIGHTS', `${path}: ${(e as Error).message}`, { cause: e });
    }
    return m;
  } finally {
    await file.close();
  }
}
