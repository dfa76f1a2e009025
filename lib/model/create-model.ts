/** Builds the task model a configuration describes. */
import type { ModelConfig, Task } from '../config/model-config';
import { UniAdapterError } from '../errors';
import { CaptionModel } from './caption-model';
import { PretrainModel } from './pretrain-model';
import { RetrievalModel } from './retrieval-model';
import { VqaModel } from './vqa-model';

export type TaskModel = RetrievalModel | VqaModel | CaptionModel | PretrainModel;

const TASKS: readonly Task[] = ['retrieval', 'vqa', 'caption', 'pretrain'];

/**
 * The model of `config.task`.
 *
 * @throws UniAdapterError ERR_CONFIG for a missing config, an unknown task (naming the valid ones) or
 *   a seed that is not an integer in [0, 2^53 - 1]
 */
export async function createModel(config: ModelConfig): Promise<TaskModel> {
  if (typeof config !== 'object' || config === null) {
    throw new UniAdapterError('ERR_CONFIG', `createModel needs a model configuration object, got ${config === null ? 'null' : typeof config}`);
  }
  if (config.seed !== undefined && (!Number.isSafeInteger(config.seed) || config.seed < 0)) {
    throw new UniAdapterError('ERR_CONFIG', `seed must be an integer from 0 to ${Number.MAX_SAFE_INTEGER} (2^53 - 1), got ${config.seed}`);
  }
  switch (config.task) {
    case 'retrieval':
      return RetrievalModel.create(config);
    case 'vqa':
      return VqaModel.create(config);
    case 'caption':
      return CaptionModel.create(config);
    case 'pretrain':
      return PretrainModel.create(config);
    default:
      throw new UniAdapterError(
        'ERR_CONFIG',
        `unknown task '${String(config.task)}': the task must be one of ${TASKS.map((t) => `'${t}'`).join(', ')}`
      );
  }
}
