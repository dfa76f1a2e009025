/** Builds the task model a configuration describes. */
import type { ModelConfig } from '../config/model-config';
import { CaptionModel } from './caption-model';
import { RetrievalModel } from './retrieval-model';
import { VqaModel } from './vqa-model';

export type TaskModel = RetrievalModel | VqaModel | CaptionModel;

export async function createModel(config: ModelConfig): Promise<TaskModel> {
  switch (config.task) {
    case 'retrieval':
      return RetrievalModel.create(config);
    case 'vqa':
      return VqaModel.create(config);
    case 'caption':
      return CaptionModel.create(config);
  }
}
