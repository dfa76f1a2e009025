/**
 * A restricted unpickler for the `data.pkl` of PyTorch checkpoints. It understands the opcodes that
 * `torch.save` emits (protocol 2, and 3 to 5 for files saved with a higher `pickle_protocol`) and resolves
 * GLOBAL references against a fixed allow-list: containers, OrderedDict, the tensor and parameter rebuild
 * functions and the storage classes. Each allowed global is interpreted by a small handler written here;
 * nothing from the pickle is ever executed. Any other global is rejected with ERR_PICKLE.
 *
 * Tensors come out as lazy references (`TorchTensorRef`): storage key, dtype, element offset, shape and
 * stride; their bytes stay in the archive until someone reads them.
 */
import { UniAdapterError } from '../errors';
import type { DType } from '../tensor';

/** Element types of torch storages: every DType, plus two that checkpoints may hold but HostTensor lacks. */
export type StorageDType = DType | 'int16' | 'int8';

/** A storage named by a persistent id: the bytes are the archive entry `<archive>/data/<key>`. */
export class TorchStorageRef {
  constructor(
    readonly key: string,
    readonly dtype: StorageDType,
    /** Bytes per element. */
    readonly itemSize: number,
    /** The device the storage was saved from, e.g. 'cpu' or 'cuda:0'. */
    readonly location: string,
    /** Number of elements. */
    readonly numel: number
  ) {}
}

/** A tensor as `_rebuild_tensor_v2` describes it: a strided view into a storage. */
export class TorchTensorRef {
  constructor(
    readonly storage: TorchStorageRef,
    /** Offset of element [0, ..., 0] in the storage, in elements. */
    readonly offset: number,
    readonly shape: number[],
    /** Stride of each dimension, in elements. */
    readonly stride: number[],
    readonly requiresGrad: boolean
  ) {}
}

/** How an allowed global is interpreted when the pickle calls it. */
type GlobalKind =
  | 'ordered-dict'
  | 'dict'
  | 'list'
  | 'tuple'
  | 'set'
  | 'frozenset'
  | 'bytes'
  | 'codecs-encode'
  | 'rebuild-tensor'
  | 'rebuild-parameter'
  | 'storage-type';

/** An allowed global after resolution. It is a name and a kind, never a function. */
export class PickleGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
    readonly kind: GlobalKind
  ) {}
}

/** A value decoded from a checkpoint pickle. Tuples and lists are both arrays; dicts are Maps. */
export type PickleValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | PickleValue[]
  | Map<PickleValue, PickleValue>
  | Set<PickleValue>
  | TorchStorageRef
  | TorchTensorRef
  | PickleGlobal;

/** The torch storage classes, the element type each one holds and its size in bytes. */
const STORAGE_TYPES: ReadonlyArray<[string, StorageDType, number]> = [
  ['FloatStorage', 'float32', 4],
  ['DoubleStorage', 'float64', 8],
  ['HalfStorage', 'float16', 2],
  ['BFloat16Storage', 'bfloat16', 2],
  ['LongStorage', 'int64', 8],
  ['IntStorage', 'int32', 4],
  ['ShortStorage', 'int16', 2],
  ['CharStorage', 'int8', 1],
  ['ByteStorage', 'uint8', 1],
  ['BoolStorage', 'bool', 1],
  ['UntypedStorage', 'uint8', 1],
];

const STORAGE_BY_NAME = new Map(STORAGE_TYPES.map(([name, dtype, size]) => [name, { dtype, size }]));

/** The allow-list: `module.name` → how it is interpreted. Python 2 module names are normalised first. */
const ALLOWED_GLOBALS: ReadonlyMap<string, GlobalKind> = new Map<string, GlobalKind>([
  ['collections.OrderedDict', 'ordered-dict'],
  ['builtins.dict', 'dict'],
  ['builtins.list', 'list'],
  ['builtins.tuple', 'tuple'],
  ['builtins.set', 'set'],
  ['builtins.frozenset', 'frozenset'],
  ['builtins.bytes', 'bytes'],
  ['_codecs.encode', 'codecs-encode'],
  ['torch._utils._rebuild_tensor_v2', 'rebuild-tensor'],
  ['torch._utils._rebuild_parameter', 'rebuild-parameter'],
  ['torch._utils._rebuild_parameter_with_state', 'rebuild-parameter'],
  ...STORAGE_TYPES.map(([name]): [string, GlobalKind] => [`torch.${name}`, 'storage-type']),
]);

const PYTHON2_MODULES: Readonly<Record<string, string>> = { __builtin__: 'builtins', copy_reg: 'copyreg' };

/** Pickle opcodes, by the names the Python `pickle` module gives them. */
const OP = {
  MARK: 0x28,
  STOP: 0x2e,
  POP: 0x30,
  POP_MARK: 0x31,
  DUP: 0x32,
  BINBYTES: 0x42,
  SHORT_BINBYTES: 0x43,
  BINFLOAT: 0x47,
  BININT: 0x4a,
  BININT1: 0x4b,
  BININT2: 0x4d,
  NONE: 0x4e,
  BINPERSID: 0x51,
  REDUCE: 0x52,
  BINSTRING: 0x54,
  SHORT_BINSTRING: 0x55,
  BINUNICODE: 0x58,
  EMPTY_LIST: 0x5d,
  APPEND: 0x61,
  BUILD: 0x62,
  GLOBAL: 0x63,
  DICT: 0x64,
  APPENDS: 0x65,
  BINGET: 0x68,
  INST: 0x69,
  LONG_BINGET: 0x6a,
  LIST: 0x6c,
  OBJ: 0x6f,
  BINPUT: 0x71,
  LONG_BINPUT: 0x72,
  SETITEM: 0x73,
  TUPLE: 0x74,
  SETITEMS: 0x75,
  EMPTY_DICT: 0x7d,
  EMPTY_TUPLE: 0x29,
  PROTO: 0x80,
  NEWOBJ: 0x81,
  TUPLE1: 0x85,
  TUPLE2: 0x86,
  TUPLE3: 0x87,
  NEWTRUE: 0x88,
  NEWFALSE: 0x89,
  LONG1: 0x8a,
  LONG4: 0x8b,
  SHORT_BINUNICODE: 0x8c,
  BINUNICODE8: 0x8d,
  BINBYTES8: 0x8e,
  EMPTY_SET: 0x8f,
  ADDITEMS: 0x90,
  FROZENSET: 0x91,
  NEWOBJ_EX: 0x92,
  STACK_GLOBAL: 0x93,
  MEMOIZE: 0x94,
  FRAME: 0x95,
  BYTEARRAY8: 0x96,
} as const;

/**
 * Pickle opcodes that are valid but have no place in a checkpoint (text protocol 0, the extension
 * registry, out-of-band buffers). Named so that the error says which one was met.
 */
const REFUSED_OPCODES: Readonly<Record<number, string>> = {
  0x46: 'FLOAT',
  0x49: 'INT',
  0x4c: 'LONG',
  0x50: 'PERSID',
  0x53: 'STRING',
  0x56: 'UNICODE',
  0x67: 'GET',
  0x70: 'PUT',
  0x82: 'EXT1',
  0x83: 'EXT2',
  0x84: 'EXT4',
  0x97: 'NEXT_BUFFER',
  0x98: 'READONLY_BUFFER',
};

const HIGHEST_PROTOCOL = 5;

/**
 * What the unpickler may spend on one pickle. A pickle is a program: a few bytes can ask for a huge
 * amount of copying (calling `list()` on one memoised list again and again) or for enormous integers.
 * Every opcode costs one unit of work and every element a call copies costs one more; a checkpoint's
 * pickle needs a few units per tensor, so the limit only stops pickles written to exhaust memory.
 */
export const PICKLE_LIMITS = {
  /** Largest data.pkl read, in bytes. */
  maxBytes: 64 * 1024 * 1024,
  /** Opcodes run plus elements copied. */
  maxWork: 1 << 24,
  /** Deepest nesting of lists, tuples, dicts and sets accepted outside the state dict. */
  maxDepth: 100,
  /** Longest integer (LONG1/LONG4), in bytes. */
  maxIntegerBytes: 1024,
} as const;

/**
 * Decodes a checkpoint pickle. `source` names the file in error messages. Globals outside the
 * allow-list give ERR_PICKLE; a corrupt or truncated pickle gives ERR_FORMAT.
 */
export function unpickleCheckpoint(data: Uint8Array, source: string): PickleValue {
  if (data.byteLength > PICKLE_LIMITS.maxBytes) {
    throw new UniAdapterError(
      'ERR_PICKLE',
      `${source}: the checkpoint pickle is ${data.byteLength} bytes, more than the ${PICKLE_LIMITS.maxBytes} accepted; a state dict's pickle holds only tensor references and is far smaller`
    );
  }
  return new RestrictedUnpickler(data, source).run() as PickleValue;
}

/** Interprets a call of one kind of allowed global with its decoded arguments. */
type Handler = (args: unknown[], u: RestrictedUnpickler) => unknown;

/** What calling each kind of allowed global produces. */
const CALL_HANDLERS: Readonly<Record<GlobalKind, Handler>> = {
  'ordered-dict': (args, u) => toMap(args, u),
  dict: (args, u) => toMap(args, u),
  list: (args, u) => (args.length === 0 ? [] : [...u.iterable(args[0])]),
  tuple: (args, u) => (args.length === 0 ? [] : [...u.iterable(args[0])]),
  set: (args, u) => new Set(args.length === 0 ? [] : u.iterable(args[0])),
  frozenset: (args, u) => new Set(args.length === 0 ? [] : u.iterable(args[0])),
  bytes: (args, u) => {
    if (args.length !== 0) throw u.corrupt('bytes() is called with arguments');
    return new Uint8Array(0);
  },
  'codecs-encode': (args, u) => {
    const [text, encoding] = args;
    if (typeof text !== 'string' || (encoding !== 'latin1' && encoding !== 'latin-1')) {
      throw u.refused('_codecs.encode is only accepted with the latin1 encoding Python uses for bytes');
    }
    u.charge(text.length);
    const out = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c > 0xff) throw u.corrupt('a latin1 byte string holds a character above 0xff');
      out[i] = c;
    }
    return out;
  },
  'rebuild-tensor': (args, u) => {
    if (args.length < 4) throw u.corrupt('_rebuild_tensor_v2 is called with too few arguments');
    const [storage, offset, shape, stride, requiresGrad] = args;
    if (!(storage instanceof TorchStorageRef)) throw u.corrupt('_rebuild_tensor_v2 is not given a storage');
    const dims = u.intList(shape, 'tensor size');
    const strides = u.intList(stride, 'tensor stride');
    if (dims.length !== strides.length) throw u.corrupt('a tensor has a different number of sizes and strides');
    return new TorchTensorRef(storage, u.int(offset, 'storage offset'), dims, strides, requiresGrad === true);
  },
  'rebuild-parameter': (args, u) => {
    const [tensor] = args;
    if (!(tensor instanceof TorchTensorRef)) throw u.corrupt('_rebuild_parameter is not given a tensor');
    return tensor;
  },
  'storage-type': (_args, u) => {
    throw u.refused('a storage class is called directly instead of through a persistent id');
  },
};

function toMap(args: unknown[], u: RestrictedUnpickler): Map<unknown, unknown> {
  const map = new Map<unknown, unknown>();
  if (args.length === 0) return map;
  if (args[0] instanceof Map) {
    u.charge(args[0].size);
    return new Map(args[0]);
  }
  for (const pair of u.iterable(args[0])) {
    if (!Array.isArray(pair) || pair.length !== 2) throw u.corrupt('a dict is built from something other than pairs');
    map.set(pair[0], pair[1]);
  }
  return map;
}

class RestrictedUnpickler {
  private pos = 0;
  private work = 0;
  private stack: unknown[] = [];
  private marks: number[] = [];
  private readonly memo = new Map<number, unknown>();
  private readonly view: DataView;
  private readonly utf8 = new TextDecoder('utf-8');

  constructor(
    private readonly data: Uint8Array,
    private readonly source: string
  ) {
    this.view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  }

  run(): unknown {
    for (;;) {
      const at = this.pos;
      const op = this.u8();
      this.charge(1);
      switch (op) {
        case OP.PROTO: {
          const version = this.u8();
          if (version > HIGHEST_PROTOCOL) throw this.corrupt(`pickle protocol ${version} is not supported`);
          break;
        }
        case OP.FRAME:
          this.take(8); // frames only group opcodes for buffered reading; the content follows inline
          break;
        case OP.STOP:
          return this.pop();

        case OP.NONE:
          this.stack.push(null);
          break;
        case OP.NEWTRUE:
          this.stack.push(true);
          break;
        case OP.NEWFALSE:
          this.stack.push(false);
          break;
        case OP.BININT:
          this.stack.push(this.view.getInt32(this.skip(4), true));
          break;
        case OP.BININT1:
          this.stack.push(this.u8());
          break;
        case OP.BININT2:
          this.stack.push(this.view.getUint16(this.skip(2), true));
          break;
        case OP.LONG1:
          this.stack.push(this.long(this.u8()));
          break;
        case OP.LONG4: {
          const n = this.length32();
          if (n > PICKLE_LIMITS.maxIntegerBytes) {
            throw this.refused(`an integer of ${n} bytes (at most ${PICKLE_LIMITS.maxIntegerBytes} are accepted)`);
          }
          this.stack.push(this.long(n));
          break;
        }
        case OP.BINFLOAT:
          this.stack.push(this.view.getFloat64(this.skip(8), false));
          break;

        case OP.SHORT_BINUNICODE:
          this.stack.push(this.utf8.decode(this.take(this.u8())));
          break;
        case OP.BINUNICODE:
          this.stack.push(this.utf8.decode(this.take(this.length32())));
          break;
        case OP.BINUNICODE8:
          this.stack.push(this.utf8.decode(this.take(this.length64())));
          break;
        case OP.SHORT_BINSTRING:
          this.stack.push(latin1(this.take(this.u8())));
          break;
        case OP.BINSTRING: {
          const n = this.view.getInt32(this.skip(4), true);
          if (n < 0) throw this.corrupt(`negative string length at byte ${at}`);
          this.stack.push(latin1(this.take(n)));
          break;
        }
        case OP.SHORT_BINBYTES:
          this.stack.push(this.take(this.u8()).slice());
          break;
        case OP.BINBYTES:
          this.stack.push(this.take(this.length32()).slice());
          break;
        case OP.BINBYTES8:
        case OP.BYTEARRAY8:
          this.stack.push(this.take(this.length64()).slice());
          break;

        case OP.EMPTY_TUPLE:
        case OP.EMPTY_LIST:
          this.stack.push([]);
          break;
        case OP.EMPTY_DICT:
          this.stack.push(new Map());
          break;
        case OP.EMPTY_SET:
          this.stack.push(new Set());
          break;
        case OP.TUPLE1:
          this.stack.push([this.pop()]);
          break;
        case OP.TUPLE2: {
          const b = this.pop();
          const a = this.pop();
          this.stack.push([a, b]);
          break;
        }
        case OP.TUPLE3: {
          const c = this.pop();
          const b = this.pop();
          const a = this.pop();
          this.stack.push([a, b, c]);
          break;
        }
        case OP.MARK:
          this.marks.push(this.stack.length);
          break;
        case OP.POP_MARK:
          this.popMark();
          break;
        case OP.TUPLE:
        case OP.LIST:
          this.stack.push(this.popMark());
          break;
        case OP.FROZENSET:
          this.stack.push(new Set(this.popMark()));
          break;
        case OP.DICT: {
          const items = this.popMark();
          const map = new Map<unknown, unknown>();
          this.setItems(map, items);
          this.stack.push(map);
          break;
        }
        case OP.APPEND: {
          const item = this.pop();
          this.listOnTop('APPEND').push(item);
          break;
        }
        case OP.APPENDS: {
          const items = this.popMark();
          const list = this.listOnTop('APPENDS');
          // One push per item: spreading a long run of items into push() overflows the call stack.
          for (const item of items) list.push(item);
          break;
        }
        case OP.SETITEM: {
          const value = this.pop();
          const key = this.pop();
          this.setItems(this.mapOnTop('SETITEM'), [key, value]);
          break;
        }
        case OP.SETITEMS: {
          const items = this.popMark();
          this.setItems(this.mapOnTop('SETITEMS'), items);
          break;
        }
        case OP.ADDITEMS: {
          const items = this.popMark();
          const set = this.top();
          if (!(set instanceof Set)) throw this.corrupt(`ADDITEMS on something other than a set at byte ${at}`);
          for (const item of items) set.add(item);
          break;
        }
        case OP.POP:
          if (this.marks.length > 0 && this.marks[this.marks.length - 1] === this.stack.length) this.marks.pop();
          else this.pop();
          break;
        case OP.DUP:
          this.stack.push(this.top());
          break;

        case OP.BINPUT:
          this.memo.set(this.u8(), this.top());
          break;
        case OP.LONG_BINPUT:
          this.memo.set(this.view.getUint32(this.skip(4), true), this.top());
          break;
        case OP.MEMOIZE:
          this.memo.set(this.memo.size, this.top());
          break;
        case OP.BINGET:
          this.stack.push(this.memoGet(this.u8(), at));
          break;
        case OP.LONG_BINGET:
          this.stack.push(this.memoGet(this.view.getUint32(this.skip(4), true), at));
          break;

        case OP.GLOBAL: {
          const module = this.line();
          const name = this.line();
          this.stack.push(this.resolve(module, name));
          break;
        }
        case OP.STACK_GLOBAL: {
          const name = this.pop();
          const module = this.pop();
          if (typeof module !== 'string' || typeof name !== 'string') {
            throw this.corrupt(`STACK_GLOBAL without a module and name at byte ${at}`);
          }
          this.stack.push(this.resolve(module, name));
          break;
        }
        case OP.INST: {
          const global = this.resolve(this.line(), this.line());
          this.stack.push(this.call(global, this.popMark()));
          break;
        }
        case OP.OBJ: {
          const [cls, ...args] = this.popMark();
          this.stack.push(this.call(cls, args));
          break;
        }
        case OP.REDUCE: {
          const args = this.pop();
          const callable = this.pop();
          this.stack.push(this.call(callable, this.argList(args)));
          break;
        }
        case OP.NEWOBJ: {
          const args = this.pop();
          const cls = this.pop();
          this.stack.push(this.call(cls, this.argList(args)));
          break;
        }
        case OP.NEWOBJ_EX: {
          const kwargs = this.pop();
          const args = this.pop();
          const cls = this.pop();
          if (!(kwargs instanceof Map) || kwargs.size > 0) throw this.refused('keyword arguments to a constructor');
          this.stack.push(this.call(cls, this.argList(args)));
          break;
        }
        case OP.BUILD: {
          this.pop(); // the state
          const target = this.top();
          // OrderedDict state dicts carry `_metadata` (module versions) as their state; it says
          // nothing about the tensors, so it is dropped.
          if (!(target instanceof Map)) {
            throw this.refused(`setting the state of ${describe(target)} (BUILD at byte ${at})`);
          }
          break;
        }
        case OP.BINPERSID:
          this.stack.push(this.storage(this.pop()));
          break;

        default: {
          const refusedName = REFUSED_OPCODES[op];
          if (refusedName) throw this.refused(`the ${refusedName} opcode (byte ${at})`);
          throw this.corrupt(`unknown pickle opcode 0x${op.toString(16).padStart(2, '0')} at byte ${at}`);
        }
      }
    }
  }

  /** ERR_FORMAT for a pickle that is damaged or not what torch writes. */
  corrupt(why: string): UniAdapterError {
    return new UniAdapterError('ERR_FORMAT', `${this.source}: the checkpoint pickle is corrupt: ${why}`);
  }

  /** ERR_PICKLE for a construct that a checkpoint has no business holding. */
  refused(what: string): UniAdapterError {
    return new UniAdapterError(
      'ERR_PICKLE',
      `${this.source}: the pickle uses ${what}, which is not allowed in a checkpoint; only state dicts of tensors can be loaded`
    );
  }

  /**
   * Counts `units` of work against PICKLE_LIMITS.maxWork; past it the pickle is refused, so that no
   * pickle can make the unpickler copy or allocate without bound.
   */
  charge(units: number): void {
    this.work += units;
    if (this.work > PICKLE_LIMITS.maxWork) {
      throw new UniAdapterError(
        'ERR_PICKLE',
        `${this.source}: the checkpoint pickle asks for more than ${PICKLE_LIMITS.maxWork} opcodes and copied elements (limit reached at byte ${this.pos}); a state dict needs a few per tensor, so this pickle is built to exhaust memory or time`
      );
    }
  }

  /** The elements of a list, tuple or set used as a call argument (what the call copies is charged). */
  iterable(value: unknown): unknown[] {
    let items: unknown[];
    if (Array.isArray(value)) items = value;
    else if (value instanceof Set) items = [...value];
    else if (value instanceof Map) items = [...value.keys()];
    else throw this.corrupt(`expected a sequence, got ${describe(value)}`);
    this.charge(items.length);
    return items;
  }

  /** A non-negative integer argument as a JS number. */
  int(value: unknown, what: string): number {
    const n = typeof value === 'bigint' && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
      throw this.corrupt(`${what} is ${describe(value)}, not a non-negative integer`);
    }
    return n;
  }

  /** A tuple of non-negative integers (a tensor size or stride). */
  intList(value: unknown, what: string): number[] {
    if (!Array.isArray(value)) throw this.corrupt(`${what} is ${describe(value)}, not a tuple`);
    return value.map((v) => this.int(v, what));
  }

  private resolve(module: string, name: string): PickleGlobal {
    const normalised = PYTHON2_MODULES[module] ?? module;
    const kind = ALLOWED_GLOBALS.get(`${normalised}.${name}`);
    if (!kind) {
      throw new UniAdapterError(
        'ERR_PICKLE',
        `${this.source}: the pickle references ${module}.${name}, which is not allowed in a checkpoint; only state dicts of tensors can be loaded`
      );
    }
    return new PickleGlobal(normalised, name, kind);
  }

  private call(callable: unknown, args: unknown[]): unknown {
    if (!(callable instanceof PickleGlobal)) throw this.refused(`a call of ${describe(callable)}`);
    return CALL_HANDLERS[callable.kind](args, this);
  }

  private argList(args: unknown): unknown[] {
    if (!Array.isArray(args)) throw this.corrupt(`call arguments are ${describe(args)}, not a tuple`);
    return args;
  }

  /** Decodes torch's persistent id ('storage', storage class, key, location, numel). */
  private storage(pid: unknown): TorchStorageRef {
    if (!Array.isArray(pid) || pid.length !== 5 || pid[0] !== 'storage') {
      throw this.refused(`a persistent id other than a torch storage (${describe(pid)})`);
    }
    const [, type, key, location, count] = pid;
    if (!(type instanceof PickleGlobal) || type.kind !== 'storage-type') {
      throw this.corrupt(`a storage has type ${describe(type)}`);
    }
    const storageType = STORAGE_BY_NAME.get(type.name);
    if (!storageType) throw this.corrupt(`unknown storage type ${type.name}`);
    if (typeof key !== 'string' && typeof key !== 'number') throw this.corrupt(`a storage key is ${describe(key)}`);
    return new TorchStorageRef(
      String(key),
      storageType.dtype,
      storageType.size,
      typeof location === 'string' ? location : String(location),
      this.int(count, 'storage size')
    );
  }

  private setItems(map: Map<unknown, unknown>, items: unknown[]): void {
    if (items.length % 2 !== 0) throw this.corrupt('a dict is given an odd number of keys and values');
    for (let i = 0; i < items.length; i += 2) map.set(items[i], items[i + 1]);
  }

  private mapOnTop(op: string): Map<unknown, unknown> {
    const top = this.top();
    if (!(top instanceof Map)) throw this.corrupt(`${op} on ${describe(top)}`);
    return top;
  }

  private listOnTop(op: string): unknown[] {
    const top = this.top();
    if (!Array.isArray(top)) throw this.corrupt(`${op} on ${describe(top)}`);
    return top;
  }

  private memoGet(index: number, at: number): unknown {
    if (!this.memo.has(index)) throw this.corrupt(`memo entry ${index} is read before it is written (byte ${at})`);
    return this.memo.get(index);
  }

  private pop(): unknown {
    const floor = this.marks.length > 0 ? this.marks[this.marks.length - 1] : 0;
    if (this.stack.length <= floor) throw this.corrupt(`the stack is empty at byte ${this.pos - 1}`);
    return this.stack.pop();
  }

  private top(): unknown {
    if (this.stack.length === 0) throw this.corrupt(`the stack is empty at byte ${this.pos - 1}`);
    return this.stack[this.stack.length - 1];
  }

  private popMark(): unknown[] {
    const mark = this.marks.pop();
    if (mark === undefined) throw this.corrupt(`no MARK before byte ${this.pos - 1}`);
    return this.stack.splice(mark);
  }

  private u8(): number {
    return this.data[this.skip(1)];
  }

  /** Advances over `n` bytes and returns where they start; the pickle ending first is ERR_FORMAT. */
  private skip(n: number): number {
    const at = this.pos;
    if (n > this.data.byteLength - at) {
      throw this.corrupt(`it ends at byte ${this.data.byteLength} in the middle of an opcode (truncated?)`);
    }
    this.pos += n;
    return at;
  }

  private take(n: number): Uint8Array {
    const at = this.skip(n);
    return this.data.subarray(at, at + n);
  }

  private length32(): number {
    return this.view.getUint32(this.skip(4), true);
  }

  private length64(): number {
    const n = this.view.getBigUint64(this.skip(8), true);
    if (n > BigInt(this.data.byteLength)) throw this.corrupt('a length runs past the end of the pickle (truncated?)');
    return Number(n);
  }

  /** A little-endian two's-complement integer of `n` bytes; a JS number when it fits exactly. */
  private long(n: number): number | bigint {
    const bytes = this.take(n);
    let v = 0n;
    for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]);
    if (n > 0 && bytes[n - 1] & 0x80) v -= 1n << BigInt(8 * n);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  }

  /** A newline-terminated text argument (GLOBAL and INST). */
  private line(): string {
    const end = this.data.indexOf(0x0a, this.pos);
    if (end < 0) throw this.corrupt('it ends in the middle of a GLOBAL (truncated?)');
    const text = this.utf8.decode(this.data.subarray(this.pos, end));
    this.pos = end + 1;
    return text;
  }
}

function latin1(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
  return s;
}

/** A short description of a decoded value for error messages. */
function describe(value: unknown): string {
  if (value === null) return 'None';
  if (value instanceof PickleGlobal) return `${value.module}.${value.name}`;
  if (value instanceof TorchTensorRef) return 'a tensor';
  if (value instanceof TorchStorageRef) return 'a storage';
  if (value instanceof Map) return 'a dict';
  if (value instanceof Set) return 'a set';
  if (value instanceof Uint8Array) return 'bytes';
  if (Array.isArray(value)) return `a tuple of ${value.length}`;
  return `${typeof value} ${String(value)}`;
}
