/**
 * The one resolution of a model configuration's defaults: the native core's configuration structs fill
 * in every setting left out, exactly as `createModel` would, without building a model.
 */
import { utility } from '../native/dispatch';
import type { ModelConfig, ResolvedModelConfig } from './model-config';

/**
 * Every setting of the model `config` describes.
 *
 * @throws UniAdapterError ERR_CONFIG for an invalid value or a key the core does not know (named)
 */
export async function resolveConfig(config: ModelConfig): Promise<ResolvedModelConfig> {
  const plain = JSON.parse(JSON.stringify(config)) as ModelConfig; // drops undefined entries at every depth
  return (await utility.resolve_config({}, plain)).info.config;
}
