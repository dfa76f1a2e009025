/** The command-line flags that describe a parameter-efficient method (shared by params, train, demo). */
import type { Modality, PetlConfig, PetlMethod } from '../config/model-config';
import { UniAdapterError } from '../errors';
import { intOption, numberOption, type OptionSpec } from './command';

export const PETL_FLAGS: OptionSpec = {
  method: { type: 'string' },
  bottleneck: { type: 'string' },
  scale: { type: 'string' },
  share: { type: 'string' },
  layers: { type: 'string' },
  modalities: { type: 'string' },
  'no-query-residual': { type: 'boolean' },
  'kv-adapter': { type: 'boolean' },
  'no-kv-adapter': { type: 'boolean' },
  init: { type: 'string' },
  pfa: { type: 'string' },
  'trainable-rule': { type: 'string' },
  'lora-rank': { type: 'string' },
  'lora-alpha': { type: 'string' },
  'prefix-length': { type: 'string' },
};

export const PETL_USAGE =
  '[--method uniadapter|linear-probe|adapter|parallel|mam|lora|full|none] [--bottleneck N] [--scale S] ' +
  '[--share down|none|up|both] [--layers A-B] [--modalities visual,textual,multimodal] [--no-query-residual] ' +
  '[--kv-adapter|--no-kv-adapter] [--init code-retrieval|code-vqa|paper] [--pfa code|paper|off] ' +
  '[--trainable-rule official|corrected] [--lora-rank N] [--lora-alpha A] [--prefix-length N]';

const METHODS: PetlMethod[] = ['uniadapter', 'linear-probe', 'adapter', 'parallel', 'mam', 'lora', 'full', 'none'];

function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], flag: string): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new UniAdapterError('ERR_ARG', `--${flag} must be one of ${allowed.join(', ')}, got '${value}'`);
  }
  return value as T;
}

/** The PETL settings the flags ask for, on top of `base`. */
export function petlFromFlags(values: Record<string, string | boolean | undefined>, base: Partial<PetlConfig> = {}): Partial<PetlConfig> {
  const p: Partial<PetlConfig> = { ...base };
  const method = oneOf(values.method as string | undefined, METHODS, 'method');
  if (method) {
    p.method = method;
    if (method !== 'uniadapter' && values['kv-adapter'] === undefined) p.kvAdapter = false;
  }
  const s = (k: string) => values[k] as string | undefined;
  p.bottleneck = intOption(s('bottleneck'), 'bottleneck', p.bottleneck);
  p.scale = numberOption(s('scale'), 'scale', p.scale);
  p.share = oneOf(s('share'), ['down', 'none', 'up', 'both'] as const, 'share') ?? p.share;
  if (s('layers') !== undefined) {
    const m = /^(\d+)-(\d+)$/.exec(s('layers') as string);
    if (!m || Number(m[1]) < 1 || Number(m[2]) < Number(m[1])) {
      throw new UniAdapterError('ERR_ARG', `--layers must be A-B with 1 <= A <= B (1-based, inclusive), got '${s('layers')}'`);
    }
    p.layers = [Number(m[1]), Number(m[2])];
  }
  if (s('modalities') !== undefined) {
    p.modalities = (s('modalities') as string).split(',').map((x) => oneOf(x.trim(), ['visual', 'textual', 'multimodal'] as const, 'modalities') as Modality);
  }
  if (values['no-query-residual']) p.queryResidual = false;
  if (values['kv-adapter']) p.kvAdapter = true;
  if (values['no-kv-adapter']) p.kvAdapter = false;
  p.init = oneOf(s('init'), ['code-retrieval', 'code-vqa', 'paper'] as const, 'init') ?? p.init;
  p.pfa = oneOf(s('pfa'), ['code', 'paper', 'off'] as const, 'pfa') ?? p.pfa;
  p.trainableRule = oneOf(s('trainable-rule'), ['official', 'corrected'] as const, 'trainable-rule') ?? p.trainableRule;
  p.loraRank = intOption(s('lora-rank'), 'lora-rank', p.loraRank);
  p.loraAlpha = numberOption(s('lora-alpha'), 'lora-alpha', p.loraAlpha);
  p.prefixLength = intOption(s('prefix-length'), 'prefix-length', p.prefixLength);
  return p;
}
