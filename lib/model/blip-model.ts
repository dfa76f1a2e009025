/**
 * The common base of the task models: owns the native model, loads and exports weights, reports its
 * parameters, saves and loads adapters, and is disposed explicitly (or with `await using`).
 */
import type { ModelConfig } from '../config/model-config';
import { UniAdapterError } from '../errors';
import { createNativeModel, runOp, type NativeModelHandle, type NativeResult, type OptionObject } from '../native';
import type { HostTensor, TensorMap } from '../tensor';
import { toNativeOptions } from './native-options';
import { parseParameterInfo, type ParameterInfo } from './parameter-info';

/** all: every tensor; trainable: what the rule trains; adapter: what an adapter file holds; training: what a step changes. */
export type StateSelection = 'all' | 'trainable' | 'adapter' | 'training';

export abstract class BlipModel implements AsyncDisposable {
  protected constructor(
    protected readonly native: NativeModelHandle,
    readonly config: ModelConfig
  ) {}

  protected static async createNative(config: ModelConfig): Promise<NativeModelHandle> {
    return createNativeModel(toNativeOptions(config));
  }

  get task(): ModelConfig['task'] {
    return this.config.task;
  }

  get disposed(): boolean {
    return this.native.disposed;
  }

  /** Runs a native operation on this model's executor (serialised with every other call). */
  async run(op: string, inputs: TensorMap = {}, options: OptionObject = {}): Promise<NativeResult> {
    return runOp(this.native, op, inputs, options);
  }

  async parameterInfo(): Promise<ParameterInfo> {
    return parseParameterInfo((await this.run('param_info')).info);
  }

  /** Tensors of the model (see StateSelection). */
  async stateDict(which: StateSelection = 'all', names?: string[]): Promise<Record<string, HostTensor>> {
    const r = await this.run('state_dict', {}, { which, ...(names ? { names } : {}) });
    return r.tensors;
  }

  /** Copies named tensors into the model (names as the model has them); see loadWeights for files. */
  async loadTensors(tensors: TensorMap, options: { dropMismatched?: boolean } = {}): Promise<NativeResult['info']> {
    return (await this.run('load_state', tensors, { dropMismatched: options.dropMismatched ?? true })).info;
  }

  /** Tells the model that loading ended, with every name that was set (momentum copies follow). */
  async finishLoad(loaded: string[]): Promise<void> {
    await this.run('finish_load', {}, { loaded });
  }

  async setSeed(seed: number): Promise<void> {
    if (!Number.isSafeInteger(seed) || seed < 0) {
      throw new UniAdapterError('ERR_ARG', `seed must be an integer from 0 to ${Number.MAX_SAFE_INTEGER} (2^53 - 1), got ${seed}`);
    }
    await this.run('seed', {}, { seed });
  }

  async dispose(): Promise<void> {
    await this.native.dispose();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.dispose();
  }
}
