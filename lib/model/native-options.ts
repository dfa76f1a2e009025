/** Turns a ModelConfig into the option object the native core reads. */
import type { ModelConfig } from '../config/model-config';
import type { OptionObject } from '../native';

export function toNativeOptions(config: ModelConfig): OptionObject {
  const o: OptionObject = { ...(config as unknown as OptionObject) };
  const petl = { ...config.petl } as OptionObject;
  if (config.petl.layers) petl.layers = [...config.petl.layers];
  o.petl = petl;
  return JSON.parse(JSON.stringify(o)) as OptionObject; // drops undefined entries
}
