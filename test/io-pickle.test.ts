import { existsSync, promises as fsp } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { UniAdapterError } from '../lib/errors';
import { TorchStorageRef, TorchTensorRef, unpickleCheckpoint } from '../lib/io/pickle';

const MARKER = path.join(os.tmpdir(), 'uniadapter-pickle-test-marker');

/** Pickle bytes from pieces: strings are taken byte for byte (latin1), arrays as byte values. */
function pk(...parts: Array<string | number[] | Uint8Array>): Uint8Array {
  return Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))));
}

/** BINUNICODE of `s`. */
function str(s: string): Uint8Array {
  const b = Buffer.from(s, 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32LE(b.byteLength);
  return Buffer.concat([Buffer.from('X', 'latin1'), len, b]);
}

function expectError(run: () => unknown, code: string, ...fragments: string[]): UniAdapterError {
  let caught: unknown;
  try {
    run();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(UniAdapterError);
  const e = caught as UniAdapterError;
  expect(e.code).toBe(code);
  for (const f of fragments) expect(e.message).toContain(f);
  return e;
}

beforeEach(async () => {
  await fsp.rm(MARKER, { force: true });
});

describe('globals outside the allow-list are refused and never run', () => {
  const command = `touch ${MARKER}`;
  const cases: Array<[string, Uint8Array, string]> = [
    ['os.system via GLOBAL + REDUCE', pk('\x80\x02cos\nsystem\nq\x00', str(command), '\x85q\x01Rq\x02.'), 'os.system'],
    ['posix.system', pk('\x80\x02cposix\nsystem\n', str(command), '\x85R.'), 'posix.system'],
    ['builtins.eval (Python 2 spelling)', pk('\x80\x02c__builtin__\neval\n', str('1+1'), '\x85R.'), '__builtin__.eval'],
    ['builtins.exec', pk('\x80\x02cbuiltins\nexec\n', str('import os'), '\x85R.'), 'builtins.exec'],
    ['a custom class through NEWOBJ', pk('\x80\x02c__main__\nNet\n)\x81}b.'), '__main__.Net'],
    [
      'os.system via STACK_GLOBAL (protocol 4)',
      pk('\x80\x04\x8c\x02os\x8c\x06system\x93', str(command), '\x85R.'),
      'os.system',
    ],
    ['os.system via INST', pk('\x80\x02(', str(command), 'ios\nsystem\n.'), 'os.system'],
    ['a torch function that is not a rebuild function', pk('\x80\x02ctorch\nload\n', str('x.pt'), '\x85R.'), 'torch.load'],
  ];

  test.each(cases)('%s', (_label, bytes, qualified) => {
    expectError(
      () => unpickleCheckpoint(bytes, 'evil.pth'),
      'ERR_PICKLE',
      `evil.pth: the pickle references ${qualified}, which is not allowed in a checkpoint; only state dicts of tensors can be loaded`
    );
    expect(existsSync(MARKER)).toBe(false);
  });

  test('opcodes a checkpoint never needs are refused by name', () => {
    expectError(() => unpickleCheckpoint(pk("(S'ls'\n."), 'x.pth'), 'ERR_PICKLE', 'STRING');
    expectError(() => unpickleCheckpoint(pk('\x80\x02\x82\x01.'), 'x.pth'), 'ERR_PICKLE', 'x.pth', 'EXT1');
    expectError(() => unpickleCheckpoint(pk('\x80\x02]}b.'), 'x.pth'), 'ERR_PICKLE', 'BUILD');
    expectError(
      () => unpickleCheckpoint(pk('\x80\x02', str('not-a-storage'), 'Q.'), 'x.pth'),
      'ERR_PICKLE',
      'persistent id'
    );
  });
});

describe('corrupt pickles', () => {
  test('truncated, unknown opcode, stack underflow, bad protocol', () => {
    expectError(() => unpickleCheckpoint(pk('\x80\x02}q\x00(X\x05\x00\x00\x00mo'), 'cut.pth'), 'ERR_FORMAT', 'cut.pth', 'truncated');
    expectError(() => unpickleCheckpoint(pk('\x80\x02}'), 'cut.pth'), 'ERR_FORMAT', 'truncated');
    expectError(() => unpickleCheckpoint(pk('\x80\x02\xff.'), 'x.pth'), 'ERR_FORMAT', 'unknown pickle opcode 0xff');
    expectError(() => unpickleCheckpoint(pk('\x80\x02s.'), 'x.pth'), 'ERR_FORMAT', 'stack is empty');
    expectError(() => unpickleCheckpoint(pk('\x80\x09N.'), 'x.pth'), 'ERR_FORMAT', 'protocol 9');
    expectError(() => unpickleCheckpoint(pk('\x80\x02h\x05.'), 'x.pth'), 'ERR_FORMAT', 'memo entry 5');
  });
});

describe('containers and scalars', () => {
  // pickle.dumps of one dict, made with Python 3.11:
  // {'a': [1, -2, 300, 70000, -70000, 2**40, -2**70, 1.5, True, False, None], 't': (1,), 't2': (1, 2),
  //  't3': (1, 2, 3), 't4': (1, 2, 3, 4), 's': 'héllo', 'b': b'\x00\x01', 'e': b'', 'set': {7},
  //  'fs': frozenset({8}), 'od': OrderedDict([('x', 1), ('y', 2)]), 3: 'int key', 'shared': <same list as 'a'>}
  const PROTOCOL_2 =
    '80027d71002858010000006171015d7102284b014afeffffff4d2c014a701101004a90eefeff8a060000000000018a090000000000000000c0473ff800000000000088894e6558010000007471034b018571045802000000743271054b014b028671065802000000743371074b014b024b03877108580200000074347109284b014b024b034b0474710a580100000073710b580600000068c3a96c6c6f710c580100000062710d635f636f646563730a656e636f64650a710e58020000000001710f58060000006c6174696e3171108671115271125801000000657113635f5f6275696c74696e5f5f0a62797465730a71142952711558030000007365747116635f5f6275696c74696e5f5f0a7365740a71175d71184b076185711952711a58020000006673711b635f5f6275696c74696e5f5f0a66726f7a656e7365740a711c5d711d4b086185711e52711f58020000006f64712063636f6c6c656374696f6e730a4f726465726564446963740a7121295271222858010000007871234b0158010000007971244b02754b035807000000696e74206b65797125580600000073686172656471266802752e';
  const PROTOCOL_4 =
    '800495ee000000000000007d94288c0161945d94284b014afeffffff4d2c014a701101004a90eefeff8a060000000000018a090000000000000000c0473ff800000000000088894e658c0174944b0185948c027432944b014b0286948c027433944b014b024b0387948c02743494284b014b024b034b0474948c0173948c0668c3a96c6c6f948c01629443020001948c0165944300948c03736574948f94284b07908c02667394284b0891948c026f64948c0b636f6c6c656374696f6e73948c0b4f72646572656444696374949394295294288c0178944b018c0179944b02754b038c07696e74206b6579948c06736861726564946802752e';

  test.each([
    ['protocol 2', PROTOCOL_2],
    ['protocol 4', PROTOCOL_4],
  ])('%s', (_label, hex) => {
    const value = unpickleCheckpoint(Buffer.from(hex, 'hex'), 'plain.pkl');
    expect(value).toBeInstanceOf(Map);
    const m = value as Map<unknown, unknown>;
    expect(m.get('a')).toEqual([1, -2, 300, 70000, -70000, 2 ** 40, -(2n ** 70n), 1.5, true, false, null]);
    expect(m.get('shared')).toBe(m.get('a'));
    expect(m.get('t')).toEqual([1]);
    expect(m.get('t2')).toEqual([1, 2]);
    expect(m.get('t3')).toEqual([1, 2, 3]);
    expect(m.get('t4')).toEqual([1, 2, 3, 4]);
    expect(m.get('s')).toBe('héllo');
    expect(Buffer.from(m.get('b') as Uint8Array).toString('hex')).toBe('0001');
    expect((m.get('e') as Uint8Array).byteLength).toBe(0);
    expect(m.get('set')).toEqual(new Set([7]));
    expect(m.get('fs')).toEqual(new Set([8]));
    expect([...(m.get('od') as Map<unknown, unknown>)]).toEqual([
      ['x', 1],
      ['y', 2],
    ]);
    expect(m.get(3)).toBe('int key');
  });
});

describe('torch tensors', () => {
  // ('storage', torch.FloatStorage, '7', 'cpu', 12) rebuilt as a [3, 2] view with stride (1, 3) at offset 2,
  // wrapped in _rebuild_parameter, inside an OrderedDict with a BUILD of _metadata, as torch.save writes it.
  const tensorPickle = pk(
    '\x80\x02ccollections\nOrderedDict\nq\x00)Rq\x01(',
    str('w'),
    'ctorch._utils\n_rebuild_parameter\nq\x02',
    'ctorch._utils\n_rebuild_tensor_v2\nq\x03(',
    '(',
    str('storage'),
    'ctorch\nFloatStorage\nq\x04',
    str('7'),
    str('cpu'),
    'K\x0ctQ',
    'K\x02K\x03K\x02\x86K\x01K\x03\x86\x89h\x00)Rtq\x05R',
    '\x88h\x00)R\x87R',
    'u}',
    str('_metadata'),
    'h\x00)R',
    str(''),
    '}',
    str('version'),
    'K\x01sssb.'
  );

  test('a tensor becomes a lazy reference to its storage; BUILD on the OrderedDict is ignored', () => {
    const value = unpickleCheckpoint(tensorPickle, 'model.pth') as Map<string, unknown>;
    expect([...value.keys()]).toEqual(['w']);
    const ref = value.get('w') as TorchTensorRef;
    expect(ref).toBeInstanceOf(TorchTensorRef);
    expect(ref.storage).toBeInstanceOf(TorchStorageRef);
    expect(ref.storage).toMatchObject({ key: '7', dtype: 'float32', itemSize: 4, location: 'cpu', numel: 12 });
    expect(ref.offset).toBe(2);
    expect(ref.shape).toEqual([3, 2]);
    expect(ref.stride).toEqual([1, 3]);
  });

  test('a storage class called directly is refused', () => {
    expectError(
      () => unpickleCheckpoint(pk('\x80\x02ctorch\nFloatStorage\n)R.'), 'x.pth'),
      'ERR_PICKLE',
      'storage class'
    );
  });
});
