/**
 * The addon's utility entry without the typed contract, for the bridge tests that hand it what the
 * contract would refuse to type: unknown operations, wrong option types, malformed tensors.
 */
import { addon, type OptionObject } from '../../lib/native/addon';
import { plainOptions, plainTensors } from '../../lib/native/arguments';
import { fromNative } from '../../lib/errors';
import type { TensorMap } from '../../lib/tensor';

export async function rawUtility(op: string, inputs: TensorMap = {}, options: OptionObject = {}) {
  const tensors = plainTensors(inputs);
  const plain = plainOptions(options);
  try {
    return await addon().runUtility(op, tensors, plain);
  } catch (e) {
    throw fromNative(e);
  }
}
