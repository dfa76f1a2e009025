/**
 * Files that are not regular files: a named pipe (FIFO) given as a checkpoint, adapter, gallery, image
 * or video must be refused with ERR_IO before anything opens it (an open for reading would wait for a
 * writer forever). Each test stands in for a writer afterwards, so that a reader that did block is
 * released and the suite cannot hang.
 */
import { spawn, spawnSync } from 'child_process';
import { constants as fsConstants, closeSync, openSync, promises as fsp } from 'fs';
import * as path from 'path';
import { writeFileAtomic } from '../lib/io/atomic';
import { openCheckpoint } from '../lib/io/checkpoint';
import { decodeImage } from '../lib/data/media/image';
import { PthFile } from '../lib/io/pth';
import { SafetensorsFile, readSafetensors, writeSafetensors } from '../lib/io/safetensors';
import { probeVideo, readVideoFrames, type VideoInfo } from '../lib/data/media/video';
import { Gallery } from '../lib/inference/gallery';
import { RetrievalModel } from '../lib/model/retrieval-model';
import { loadAdapter, readAdapterMetadata } from '../lib/weights/adapter-file';
import { loadWeights } from '../lib/weights/load-weights';
import { expectUniAdapterError } from './helpers/expect-error';
import { tinyConfig } from './helpers/tiny-models';
import { RETRIEVAL_SAFETENSORS, makeTempDir, removeTempDir } from './helpers/weights-fixtures';

let dir: string;
let fifo: string;
let model: RetrievalModel;

beforeAll(async () => {
  model = await RetrievalModel.create(tinyConfig('retrieval'));
});

afterAll(async () => {
  await model?.dispose();
});

beforeEach(async () => {
  dir = await makeTempDir('hostile-files');
  fifo = path.join(dir, 'pipe.safetensors');
  const r = spawnSync('mkfifo', [fifo]);
  if (r.status !== 0) throw new Error(`mkfifo failed: ${r.stderr?.toString()}`);
});

afterEach(async () => {
  // A reader blocked in open() on the pipe is released by a writer opening and closing it.
  try {
    closeSync(openSync(fifo, fsConstants.O_WRONLY | fsConstants.O_NONBLOCK));
  } catch {
    // ENXIO: nobody is reading, which is what should happen.
  }
  await removeTempDir(dir);
});

const PIPE = 'a named pipe (FIFO), not a regular file';

describe('a named pipe is refused with ERR_IO before it is opened', () => {
  test('loadWeights', async () => {
    await expectUniAdapterError(loadWeights(model, fifo), 'ERR_IO', fifo, PIPE);
  }, 5000);

  test('openCheckpoint, SafetensorsFile.open, PthFile.open, readSafetensors', async () => {
    await expectUniAdapterError(openCheckpoint(fifo), 'ERR_IO', fifo, PIPE);
    await expectUniAdapterError(SafetensorsFile.open(fifo), 'ERR_IO', fifo, PIPE);
    await expectUniAdapterError(PthFile.open(fifo), 'ERR_IO', fifo, PIPE);
    await expectUniAdapterError(readSafetensors(fifo), 'ERR_IO', fifo, PIPE);
  }, 5000);

  test('loadAdapter and readAdapterMetadata', async () => {
    await expectUniAdapterError(loadAdapter(model, fifo), 'ERR_IO', fifo, PIPE);
    await expectUniAdapterError(readAdapterMetadata(fifo), 'ERR_IO', fifo, PIPE);
  }, 5000);

  test('Gallery.load', async () => {
    await expectUniAdapterError(Gallery.load(model, fifo), 'ERR_IO', fifo, PIPE);
  }, 5000);

  test('decodeImage', async () => {
    await expectUniAdapterError(decodeImage(fifo), 'ERR_IO', fifo, PIPE);
  }, 5000);

  test('probeVideo, and readVideoFrames with a probe result given (which skips probing)', async () => {
    await expectUniAdapterError(probeVideo(fifo), 'ERR_IO', fifo, PIPE);
    const info: VideoInfo = { frames: 8, fps: 25, duration: 0.32, width: 32, height: 24, frameCountSource: 'nb_frames', streamIndex: 0, codec: 'ffv1' };
    await expectUniAdapterError(readVideoFrames(fifo, { info, frames: 2, timeoutMs: 3000 }), 'ERR_IO', fifo, PIPE);
  }, 10000);

  test('a folder is refused the same way', async () => {
    await expectUniAdapterError(openCheckpoint(dir), 'ERR_IO', dir, 'a folder, not a regular file');
    await expectUniAdapterError(decodeImage(dir), 'ERR_IO', dir, 'a folder, not a regular file');
  }, 5000);

  test('a symbolic link to a regular file is still read', async () => {
    const real = path.join(dir, 'real.safetensors');
    await writeSafetensors(real, { x: { dtype: 'float32', shape: [2], data: Float32Array.from([1, 2]) } });
    const link = path.join(dir, 'link.safetensors');
    await fsp.symlink(real, link);
    const t = await readSafetensors(link);
    expect(Array.from(t.x.data as Float32Array)).toEqual([1, 2]);
  }, 5000);
});

describe('a safetensors header must end exactly at its stated length, and the data at the end of the file', () => {
  /** A small padded safetensors file (its header is followed by at least one space). */
  async function smallFile(): Promise<{ file: string; bytes: Buffer }> {
    const file = path.join(dir, 'small.safetensors');
    await writeSafetensors(file, { a: { dtype: 'float32', shape: [3], data: Float32Array.from([1, 2, 3]) } });
    const bytes = await fsp.readFile(file);
    const length = Number(bytes.readBigUInt64LE(0));
    expect(bytes[8 + length - 1]).toBe(0x20); // padded, so one byte less still leaves valid JSON
    return { file, bytes };
  }

  async function withLength(bytes: Buffer, delta: number, name: string): Promise<string> {
    const copy = Buffer.from(bytes);
    copy.writeBigUInt64LE(copy.readBigUInt64LE(0) + BigInt(delta), 0);
    const file = path.join(dir, name);
    await fsp.writeFile(file, copy);
    return file;
  }

  test('a header length one byte short is refused (every tensor would be read one byte off)', async () => {
    const { bytes } = await smallFile();
    const file = await withLength(bytes, -1, 'short-by-one.safetensors');
    await expectUniAdapterError(SafetensorsFile.open(file), 'ERR_FORMAT', file, '1 bytes follow the last tensor', 'header length');
  }, 5000);

  test('the same on a real checkpoint: loadWeights with strict: true refuses it', async () => {
    const bytes = await fsp.readFile(RETRIEVAL_SAFETENSORS);
    const length = Number(bytes.readBigUInt64LE(0));
    expect(bytes[8 + length - 1]).toBe(0x20);
    const file = await withLength(bytes, -1, 'weights-short-by-one.safetensors');
    await expectUniAdapterError(loadWeights(model, file, { strict: true }), 'ERR_FORMAT', file, 'follow the last tensor');
  }, 20000);

  test('a header length one byte long is refused (the header would end inside the data)', async () => {
    const { bytes } = await smallFile();
    const file = await withLength(bytes, 1, 'long-by-one.safetensors');
    await expectUniAdapterError(SafetensorsFile.open(file), 'ERR_FORMAT', file, 'header');
  }, 5000);

  test('1,000 junk bytes appended are refused', async () => {
    const { bytes } = await smallFile();
    const file = path.join(dir, 'appended.safetensors');
    await fsp.writeFile(file, Buffer.concat([bytes, Buffer.alloc(1000, 0xab)]));
    await expectUniAdapterError(SafetensorsFile.open(file), 'ERR_FORMAT', file, '1000 bytes follow the last tensor');
  }, 5000);

  test('padding with something other than spaces is refused', async () => {
    const { bytes } = await smallFile();
    const length = Number(bytes.readBigUInt64LE(0));
    const copy = Buffer.from(bytes);
    copy[8 + length - 1] = 0x0a;
    const file = path.join(dir, 'newline.safetensors');
    await fsp.writeFile(file, copy);
    await expectUniAdapterError(SafetensorsFile.open(file), 'ERR_FORMAT', file, 'followed only by spaces');
  }, 5000);

  test('a well-formed file still opens', async () => {
    const { file } = await smallFile();
    expect(Array.from((await readSafetensors(file)).a.data as Float32Array)).toEqual([1, 2, 3]);
  }, 5000);
});

describe('temporary files left by killed writers are removed by the next write', () => {
  test('stale temporaries of the same target go; those of live processes, of this one and of other targets stay', async () => {
    const target = path.join(dir, 'adapter.safetensors');
    const dead = spawnSync(process.execPath, ['-e', '']).pid as number; // has exited by now
    const live = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    try {
      const stale = [`.adapter.safetensors.${dead}.0123456789ab.tmp`, `.adapter.safetensors.${dead}.ba9876543210.tmp`];
      const kept = [
        `.adapter.safetensors.${live.pid}.0123456789ab.tmp`, // its writer may still be writing
        `.adapter.safetensors.${process.pid}.0123456789ab.tmp`, // this process's own write in flight
        `.other.safetensors.${dead}.0123456789ab.tmp`, // another target's
        `.adapter.safetensors.notapid.tmp`, // not a name this library writes
      ];
      for (const name of [...stale, ...kept]) await fsp.writeFile(path.join(dir, name), Buffer.alloc(1024));
      await writeFileAtomic(target, Buffer.from('new'));
      const left = (await fsp.readdir(dir)).filter((n) => n.endsWith('.tmp')).sort();
      expect(left).toEqual([...kept].sort());
      expect(await fsp.readFile(target, 'utf8')).toBe('new');
    } finally {
      live.kill('SIGKILL');
    }
  }, 10000);
});
