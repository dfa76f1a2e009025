/**
 * The common base of the task models: owns the native model, loads and exports weights, reports its
 * parameters, saves and restores training state, and is disposed explicitly (or with `await using`).
 * Every native call goes through the typed contract (lib/native/ops.ts).
 */
import type { ModelConfig, ResolvedModelConfig } from '../config/model-config';
import { UniAdapterError } from '../errors';
import type { NativeModelHandle } from '../native/addon';
import { bindModelOps, createNativeModel, type BoundOps } from '../native/dispatch';
import type { CommonOps, FingerprintInfo, LoadStateInfo, StateDictDType, StateSelection } from '../native/ops';
import type { HostTensor, TensorMap } from '../tensor';
import { parseParameterInfo, type ParameterInfo } from './parameter-info';

export type { StateSelection } from '../native/ops';

/** Where distributed training meets its peers (c10d TCP store). */
export interface DistributedInit {
  rank: number;
  worldSize: number;
  masterAddr?: string;
  masterPort?: number;
  backend?: 'gloo' | 'nccl';
  timeoutMs?: number;
}

/** Optimizer moments, RNG and loss-scaler state: what a checkpoint needs besides the tensors. */
export interface TrainingState {
  optimizer: Record<string, HostTensor>;
  rng: Record<string, HostTensor>;
  lossScale: { scale: number; growthTracker: number };
}

export abstract class BlipModel<Ops extends CommonOps = CommonOps> implements AsyncDisposable {
  /** The configuration as the core built it (every default filled in). */
  readonly config: ResolvedModelConfig;
  /** This model's native operations (lib/native/ops.ts), one typed method each. */
  protected readonly ops: BoundOps<Ops>;
  private readonly common: BoundOps<CommonOps>;

  protected constructor(
    private readonly native: NativeModelHandle,
    config: ResolvedModelConfig
  ) {
    this.config = config;
    this.ops = bindModelOps<Ops>(native);
    this.common = bindModelOps<CommonOps>(native);
  }

  /** Creates the native model and reads back the configuration it resolved. */
  protected static async createNative(config: ModelConfig): Promise<{ native: NativeModelHandle; config: ResolvedModelConfig }> {
    const native = await createNativeModel(config);
    try {
      const r = await bindModelOps<CommonOps>(native).config({}, {});
      return { native, config: r.info.config };
    } catch (e) {
      await native.dispose();
      throw e;
    }
  }

  get task(): ResolvedModelConfig['task'] {
    return this.config.task;
  }

  get disposed(): boolean {
    return this.native.disposed;
  }

  async parameterInfo(): Promise<ParameterInfo> {
    return parseParameterInfo((await this.common.param_info({}, {})).info);
  }

  /** Tensors of the model (see StateSelection). */
  async stateDict(which: StateSelection = 'all', names?: string[], options: { dtype?: StateDictDType } = {}): Promise<Record<string, HostTensor>> {
    return (await this.common.state_dict({}, { which, names, dtype: options.dtype })).tensors;
  }

  /** Copies named tensors into the model (names as the model has them); see loadWeights for files. */
  async loadTensors(tensors: TensorMap, options: { dropMismatched?: boolean } = {}): Promise<LoadStateInfo> {
    return (await this.common.load_state(tensors, { dropMismatched: options.dropMismatched })).info;
  }

  /** Tells the model that loading ended, with every name that was set (momentum copies follow). */
  async finishLoad(loaded: string[]): Promise<void> {
    await this.common.finish_load({}, { loaded });
  }

  /** The gradients of the trainable tensors after a step run with `update: false`. */
  async grads(): Promise<Record<string, HostTensor>> {
    return (await this.common.grads({}, {})).tensors;
  }

  /**
   * A fingerprint of the frozen backbone's values (rounded to bfloat16, so fp32 and bf16 copies
   * agree); with `adapter` the PETL tensors are included.
   */
  async fingerprint(options: { adapter?: boolean } = {}): Promise<FingerprintInfo> {
    return (await this.common.fingerprint({}, { adapter: options.adapter })).info;
  }

  async setSeed(seed: number): Promise<void> {
    if (!Number.isSafeInteger(seed) || seed < 0) {
      throw new UniAdapterError('ERR_ARG', `seed must be an integer from 0 to ${Number.MAX_SAFE_INTEGER} (2^53 - 1), got ${seed}`);
    }
    await this.common.seed({}, { seed });
  }

  /** Joins a c10d process group; gradients are then all-reduced in every step. */
  async initDistributed(init: DistributedInit): Promise<void> {
    await this.common.init_distributed({}, { ...init });
  }

  /** The dynamic loss scaler's scale and the number of finite steps since it last changed. */
  async lossScale(): Promise<TrainingState['lossScale']> {
    const s = (await this.common.scaler_state({}, {})).info;
    return { scale: s.scale, growthTracker: s.growthTracker };
  }

  async setLossScale(state: TrainingState['lossScale']): Promise<void> {
    await this.common.load_scaler_state({}, { scale: state.scale, growthTracker: state.growthTracker });
  }

  async trainingState(): Promise<TrainingState> {
    const optimizer = (await this.common.optimizer_state({}, {})).tensors;
    const rng = (await this.common.rng_state({}, {})).tensors;
    return { optimizer, rng: { ...rng }, lossScale: await this.lossScale() };
  }

  async restoreTrainingState(state: TrainingState): Promise<void> {
    await this.common.load_optimizer_state(state.optimizer, {});
    await this.common.set_rng_state(state.rng, {});
    await this.setLossScale(state.lossScale);
  }

  async dispose(): Promise<void> {
    await this.native.dispose();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }
}
