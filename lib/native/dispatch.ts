/**
 * The single dispatch point of the native contract (./ops.ts): the only code that hands an operation
 * name to the addon. Arguments are copied into plain objects (options left undefined are dropped, so
 * the core's defaults apply) and native failures become UniAdapterErrors.
 */
import { fromNative } from '../errors';
import type { TensorMap } from '../tensor';
import { addon, type NativeModelHandle, type OptionObject, type RawResult } from './addon';
import { plainOptions, plainTensors } from './arguments';
import type { OpInputs, OpName, OpOptions, OpResult, UtilityOps } from './ops';

/** A plain copy of the options (every getter run once, by plainOptions) without undefined entries. */
function definedOptions(options: object): OptionObject {
  const plain = plainOptions(options as OptionObject);
  for (const k of Object.keys(plain)) if (plain[k] === undefined) delete plain[k];
  return plain;
}

async function settle(call: () => Promise<RawResult>): Promise<RawResult> {
  try {
    return await call();
  } catch (e) {
    throw fromNative(e);
  }
}

/** Creates a native model from a configuration object (nested objects cross as dotted keys). */
export async function createNativeModel(config: object): Promise<NativeModelHandle> {
  const plain = plainOptions(JSON.parse(JSON.stringify(config)) as OptionObject);
  try {
    return await addon().createModel(plain);
  } catch (e) {
    throw fromNative(e);
  }
}

/** A model's operations as typed methods: `ops.encode_image(inputs, options)`. */
export type BoundOps<Ops> = {
  readonly [K in OpName<Ops>]: (inputs: OpInputs<Ops, K>, options: OpOptions<Ops, K>) => Promise<OpResult<Ops, K>>;
};

async function runModelOp(model: NativeModelHandle, op: string, inputs: object, options: object): Promise<unknown> {
  const tensors = plainTensors(inputs as TensorMap);
  const plain = definedOptions(options);
  return settle(() => model.run(op, tensors, plain));
}

/** Binds a native model to the operations of its contract; each property name is the operation it runs. */
export function bindModelOps<Ops>(model: NativeModelHandle): BoundOps<Ops> {
  const methods = new Map<string, (inputs: object, options: object) => Promise<unknown>>();
  return new Proxy(Object.create(null) as BoundOps<Ops>, {
    get(_target, prop) {
      if (typeof prop !== 'string') return undefined;
      let m = methods.get(prop);
      if (!m) {
        m = (inputs, options) => runModelOp(model, prop, inputs, options);
        methods.set(prop, m);
      }
      return m;
    },
  });
}

/** The utility operations (no model) as typed methods: `utility.gemm({}, { n: 512 })`. */
export const utility: BoundOps<UtilityOps> = new Proxy(Object.create(null) as BoundOps<UtilityOps>, {
  get(_target, prop) {
    if (typeof prop !== 'string') return undefined;
    return async (inputs: object, options: object) => {
      const tensors = plainTensors(inputs as TensorMap);
      const plain = definedOptions(options);
      return settle(() => addon().runUtility(prop, tensors, plain));
    };
  },
});
