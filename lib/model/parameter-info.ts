/** What a model's parameters are: names, shapes, groups, and the counts the paper reports. */
import type { ParamInfoWire } from '../native/ops';
export interface ParameterEntry {
  name: string;
  shape: number[];
  dtype: string;
  group: string;
  numel: number;
  trainable: boolean;
  /** The first name of the same tensor when this name is tied to another (pretraining's decoder). */
  tiedTo?: string;
}

export interface ParameterCounts {
  /** All parameters of the task model without its momentum copies and without the PETL modules. */
  total: number;
  /** total + the PETL modules. */
  totalWithPetl: number;
  /** Every PETL parameter (adapters, their LayerNorms, key/value adapters, LoRA, prefixes). */
  petl: number;
  /** What the trainable-set rule trains. */
  trainable: number;
  /** Weights and biases of the adapters' down- and up-projections (the paper's formula). */
  adapterProjections: number;
  byGroup: Record<string, number>;
}

export interface ParameterInfo {
  method: string;
  task: string;
  device: string;
  entries: ParameterEntry[];
  counts: ParameterCounts;
}

export function parseParameterInfo(info: ParamInfoWire): ParameterInfo {
  const names: string[] = info.names ?? [];
  const entries = names.map((name, i) => ({
    name,
    shape: String(info.shapes[i]).length ? String(info.shapes[i]).split(',').map(Number) : [],
    dtype: info.dtypes[i],
    group: info.groups[i],
    numel: info.numel[i],
    trainable: info.trainable[i] === 1,
    ...(info.tiedTo?.[i] ? { tiedTo: info.tiedTo[i] } : {}),
  }));
  const c = info.counts ?? {};
  return {
    method: info.method,
    task: info.task,
    device: info.device,
    entries,
    counts: {
      total: c.total,
      totalWithPetl: c.totalWithPetl,
      petl: c.petl,
      trainable: c.trainable,
      adapterProjections: c.adapterProjections,
      byGroup: { ...(c.byGroup ?? {}) },
    },
  };
}
