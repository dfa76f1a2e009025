/**
 * Loads a BLIP checkpoint (safetensors with original or Hugging Face names, or an official .pth) into
 * a task model, tensor by tensor, with BLIP's loader semantics: positional embeddings interpolated to
 * the model's grid, tensors of another shape dropped (or an error in strict mode), missing and
 * unexpected keys reported by name. At most `chunkBytes` of tensors are held at once.
 */
import type { LoadStateInfo } from '../native/ops';
import { UniAdapterError, isUniAdapterError } from '../errors';
import { openCheckpoint } from '../io/checkpoint';
import type { CheckpointReader } from '../io/checkpoint-reader';
import type { BlipModel } from '../model/blip-model';
import { emptyTensorMap, type HostTensor, type TensorMap } from '../tensor';
import { canonicalName, detectNaming, toOriginalName } from './key-map';
import { checkpointView } from './checkpoint-view';

export interface LoadWeightsOptions {
  /** Fail on missing parameters, unexpected tensors and shape mismatches (default false, as BLIP). */
  strict?: boolean;
  /** Key naming of the file; detected when 'auto'. */
  naming?: 'auto' | 'original' | 'hf';
  /** Tensors handed to the native side per call (bytes). */
  chunkBytes?: number;
  /** Called after each chunk with the number of tensors done and the total. */
  onProgress?: (done: number, total: number) => void;
}

export interface LoadReport {
  file: string;
  naming: 'original' | 'hf';
  loaded: string[];
  /**
   * Model parameters the file did not provide or that were dropped for their shape. They keep their
   * initial values, except momentum copies of loaded tensors, which start as copies of them.
   */
  missing: string[];
  /** File tensors with no counterpart in the model. */
  unexpected: string[];
  /** File tensors dropped because their shape differs ("name [file shape] != [model shape]"). */
  mismatched: string[];
  /** Positional embeddings interpolated to the model's grid. */
  interpolated: string[];
  /** Alias keys of shared tensors that were skipped (adapters registered under several paths, tied LM head). */
  aliasesSkipped: number;
  /** Momentum-backbone tensors skipped because the momentum encoder shares the main backbone. */
  sharedSkipped: string[];
}

const DEFAULT_CHUNK_BYTES = 64 * 1024 * 1024;

function bytesOf(t: HostTensor): number {
  return t.data.byteLength;
}

export async function loadWeights(model: BlipModel, source: string | CheckpointReader, options: LoadWeightsOptions = {}): Promise<LoadReport> {
  const owned = typeof source === 'string';
  const file = owned ? await openCheckpoint(source) : source;
  let reader: CheckpointReader;
  try {
    reader = await checkpointView(file, owned);
  } catch (e) {
    if (owned) await file.close();
    throw e;
  }
  try {
    return await loadFromReader(model, reader, options);
  } finally {
    await reader.close();
  }
}

async function loadFromReader(model: BlipModel, reader: CheckpointReader, options: LoadWeightsOptions): Promise<LoadReport> {
  const file = reader.path;
  const names = reader.names();
  const detected = options.naming && options.naming !== 'auto' ? options.naming : detectNaming(names);
  if (detected === 'unknown') {
    throw new UniAdapterError(
      'ERR_WEIGHTS',
      `${file}: the tensor names are neither BLIP's original names nor Hugging Face's (first names: ${names.slice(0, 5).join(', ')})`
    );
  }
  const naming = detected;
  const info = await model.parameterInfo();
  const params = new Set(info.entries.map((e) => e.name));

  // Resolve every file key to the model's name; an alias is used only when its canonical key is absent.
  const plan = new Map<string, string>(); // model name -> file key
  const unexpected: string[] = [];
  let aliasesSkipped = 0;
  const canonicalPresent = new Set<string>();
  for (const key of names) {
    const original = naming === 'hf' ? toOriginalName(key, 'hf') : key;
    if (original === null) unexpected.push(key);
    else if (!canonicalName(original).alias) canonicalPresent.add(original);
  }
  for (const key of names) {
    const original = naming === 'hf' ? toOriginalName(key, 'hf') : key;
    if (original === null) continue;
    const { name, alias } = canonicalName(original);
    if (alias && (canonicalPresent.has(name) || plan.has(name))) {
      aliasesSkipped++;
      continue;
    }
    plan.set(name, key);
  }

  const report: LoadReport = {
    file,
    naming,
    loaded: [],
    missing: [],
    unexpected,
    mismatched: [],
    interpolated: [],
    aliasesSkipped,
    sharedSkipped: [],
  };

  // Check every file tensor against the parameter it will replace before any data is read or copied:
  // a wrong element kind fails, a tensor of another shape is dropped (BLIP's loader) unless it is a
  // positional embedding that can be interpolated, and strict mode fails here with everything it can
  // already see, so that a strict failure leaves the model as it was.
  const entries = new Map(info.entries.map((e) => [e.name, e]));
  for (const [name, key] of [...plan]) {
    const param = entries.get(name);
    if (!param) continue; // a buffer, or no such tensor: the model decides
    const stored = reader.info(key);
    if (isFloating(stored.dtype) !== isFloating(param.dtype)) {
      throw new UniAdapterError(
        'ERR_DTYPE',
        `${file}: tensor '${key}' is ${stored.dtype} but the model's '${name}' is ${param.dtype}; ` +
          'is this file a checkpoint of the same model?'
      );
    }
    if (sameShape(stored.shape, param.shape) || canInterpolate(name, stored.shape, param.shape)) continue;
    report.mismatched.push(`${name} ${shapeText(stored.shape)} != ${shapeText(param.shape)}`);
    plan.delete(name);
  }
  if (options.strict) {
    const missing = [...params].filter((p) => !plan.has(p));
    // Names that are no parameter may still be buffers (queues, position_ids): ask the model which exist.
    const others = [...plan.keys()].filter((n) => !params.has(n));
    const buffers = others.length ? new Set(Object.keys(await model.stateDict('all', others))) : new Set<string>();
    const unknown = others.filter((n) => !buffers.has(n)).map((n) => plan.get(n) as string);
    failIfStrictProblems(file, { missing, unexpected: [...report.unexpected, ...unknown], mismatched: report.mismatched });
  }

  const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  let chunk: TensorMap = emptyTensorMap();
  let size = 0;
  let done = 0;
  const flush = async () => {
    if (Object.keys(chunk).length === 0) return;
    let r: LoadStateInfo;
    try {
      // Shapes were checked above; what the model still drops (buffers) is reported, and strict mode fails below.
      r = await model.loadTensors(chunk, { dropMismatched: true });
    } catch (e) {
      if (isUniAdapterError(e)) throw new UniAdapterError(e.code === 'ERR_SHAPE' || e.code === 'ERR_DTYPE' ? e.code : 'ERR_WEIGHTS', `${file}: ${e.message}`, { cause: e });
      throw e;
    }
    report.loaded.push(...(r.loaded ?? []));
    report.unexpected.push(...(r.unexpected ?? []).map((n) => plan.get(n) ?? n));
    report.mismatched.push(...(r.mismatched ?? []));
    report.interpolated.push(...(r.interpolated ?? []));
    report.sharedSkipped.push(...(r.sharedSkipped ?? []));
    done += Object.keys(chunk).length;
    options.onProgress?.(done, plan.size);
    chunk = emptyTensorMap();
    size = 0;
  };
  for (const [name, key] of plan) {
    let t: HostTensor;
    try {
      t = await reader.read(key);
    } catch (e) {
      if (isUniAdapterError(e)) throw e;
      throw new UniAdapterError('ERR_IO', `${file}: reading tensor '${key}' failed: ${(e as Error).message}`, { cause: e });
    }
    chunk[name] = t;
    size += bytesOf(t);
    if (size >= chunkBytes) await flush();
  }
  await flush();

  const loaded = new Set(report.loaded);
  const shared = new Set(report.sharedSkipped);
  report.missing = [...params].filter((p) => !loaded.has(p) && !shared.has(p));
  if (report.loaded.length === 0) {
    throw new UniAdapterError(
      'ERR_WEIGHTS',
      `${file}: none of its ${names.length} tensors matches a parameter of the ${model.task} model ` +
        `(file keys such as ${names.slice(0, 3).join(', ')}; model keys such as ${[...params].slice(0, 3).join(', ')}). ` +
        'Is this a BLIP checkpoint for this task?'
    );
  }
  if (options.strict) failIfStrictProblems(file, report);
  await model.finishLoad(report.loaded);
  return report;
}

/** ERR_WEIGHTS listing (the first of) every missing, unexpected and mismatched tensor, if there is any. */
function failIfStrictProblems(file: string, r: Pick<LoadReport, 'missing' | 'unexpected' | 'mismatched'>): void {
  if (!r.missing.length && !r.unexpected.length && !r.mismatched.length) return;
  const list = (items: string[], sep: string) => `${items.slice(0, 10).join(sep)}${items.length > 10 ? `${sep}... (${items.length} in all)` : ''}`;
  const parts: string[] = [];
  if (r.missing.length) parts.push(`missing: ${list(r.missing, ', ')}`);
  if (r.unexpected.length) parts.push(`unexpected: ${list(r.unexpected, ', ')}`);
  if (r.mismatched.length) parts.push(`shape mismatch: ${list(r.mismatched, '; ')}`);
  throw new UniAdapterError('ERR_WEIGHTS', `${file}: strict loading failed (${parts.join(' | ')})`);
}

function isFloating(dtype: string): boolean {
  return dtype === 'float32' || dtype === 'float64' || dtype === 'float16' || dtype === 'bfloat16';
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function shapeText(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

function isSquare(n: number): boolean {
  const r = Math.round(Math.sqrt(n));
  return n > 0 && r * r === n;
}

/**
 * Whether a stored ViT positional embedding [1, 1 + g², D] can be interpolated to the model's
 * [1, 1 + G², D] (§3.4): same width, both patch grids square. Any other shape is a plain mismatch.
 */
function canInterpolate(name: string, stored: readonly number[], model: readonly number[]): boolean {
  return (
    name.endsWith('pos_embed') &&
    stored.length === 3 &&
    model.length === 3 &&
    stored[0] === 1 &&
    model[0] === 1 &&
    stored[2] === model[2] &&
    isSquare(stored[1] - 1) &&
    isSquare(model[1] - 1)
  );
}
