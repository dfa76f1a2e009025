/**
 * A load-once model session: the task model built from its configuration, the BLIP backbone weights,
 * the adapter, the tokenizer, on the configured device and precision. Training, evaluation, the demo
 * and a server hold one; `dispose()` frees the native model (unless it was borrowed).
 */
import type { ModelConfig, ResolvedModelConfig, Task } from '../config/model-config';
import { UniAdapterError } from '../errors';
import type { DistributedInit } from '../model/blip-model';
import type { CaptionModel } from '../model/caption-model';
import { createModel, type TaskModel } from '../model/create-model';
import type { RetrievalModel } from '../model/retrieval-model';
import type { VqaModel } from '../model/vqa-model';
import type { PretrainModel } from '../model/pretrain-model';
import { BlipTokenizer } from '../text/tokenizer';
import { loadAdapter, type AdapterMetadata } from '../weights/adapter-file';
import { loadWeights, type LoadReport } from '../weights/load-weights';

export interface SessionOptions {
  /** The model to build. */
  config: ModelConfig;
  /** BLIP weights (.pth or .safetensors); without them the backbone keeps its initial values. */
  weights?: string;
  /** A trained adapter file, loaded after the weights. */
  adapter?: string;
  /** Load the adapter even if it was trained on another backbone. */
  allowBackboneMismatch?: boolean;
  /** Join a c10d process group (distributed training). */
  distributed?: DistributedInit;
  /** Default: BERT-base-uncased, as BLIP. */
  tokenizer?: BlipTokenizer;
  /** Where the session says what it loaded. */
  onLog?: (line: string) => void;
}

interface TaskModels {
  retrieval: RetrievalModel;
  vqa: VqaModel;
  caption: CaptionModel;
  pretrain: PretrainModel;
}

export class ModelSession implements AsyncDisposable {
  private constructor(
    readonly model: TaskModel,
    readonly tokenizer: BlipTokenizer,
    private readonly owned: boolean,
    /** What loading the backbone weights did (when weights were given). */
    readonly weights?: LoadReport,
    /** The loaded adapter's metadata (when an adapter was given). */
    readonly adapter?: AdapterMetadata
  ) {}

  /**
   * Builds the model, loads the weights and the adapter, joins the process group.
   *
   * @throws UniAdapterError ERR_CONFIG for an invalid configuration, ERR_WEIGHTS / ERR_IO for files
   *   that cannot be loaded (the model is disposed again)
   */
  static async open(options: SessionOptions): Promise<ModelSession> {
    const model = await createModel(options.config);
    try {
      const log = options.onLog ?? (() => {});
      let weights: LoadReport | undefined;
      if (options.weights) {
        weights = await loadWeights(model, options.weights);
        log(`loaded ${weights.loaded.length} tensors from ${weights.file} (${weights.missing.length} missing, ${weights.unexpected.length} unexpected)`);
      }
      let adapter: AdapterMetadata | undefined;
      if (options.adapter) {
        adapter = await loadAdapter(model, options.adapter, { allowBackboneMismatch: options.allowBackboneMismatch });
        log(`loaded the ${adapter.method} adapter ${options.adapter}${adapter.step !== undefined ? ` (step ${adapter.step})` : ''}`);
      }
      if (options.distributed && options.distributed.worldSize > 1) await model.initDistributed(options.distributed);
      return new ModelSession(model, options.tokenizer ?? BlipTokenizer.bertBaseUncased(), true, weights, adapter);
    } catch (e) {
      await model.dispose();
      throw e;
    }
  }

  /** A session around a model the caller owns (dispose() leaves it alone). */
  static borrow(model: TaskModel, tokenizer: BlipTokenizer = BlipTokenizer.bertBaseUncased()): ModelSession {
    return new ModelSession(model, tokenizer, false);
  }

  get config(): ResolvedModelConfig {
    return this.model.config;
  }

  get disposed(): boolean {
    return this.model.disposed;
  }

  /**
   * The model, typed for its task.
   *
   * @throws UniAdapterError ERR_CONFIG when the session holds another task's model
   */
  modelFor<T extends Task>(task: T): TaskModels[T] {
    if (this.model.task !== task) {
      throw new UniAdapterError('ERR_CONFIG', `this session holds a ${this.model.task} model; a ${task} model is needed`);
    }
    return this.model as TaskModels[T];
  }

  async dispose(): Promise<void> {
    if (this.owned && !this.model.disposed) await this.model.dispose();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }
}
