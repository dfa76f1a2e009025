import * as fs from 'fs';
import * as path from 'path';
import { UniAdapterError } from '../lib/errors';
import { findTool } from '../lib/data/media/ffmpeg';
import { probeVideo, readVideoFrames } from '../lib/data/media/video';
import { counterClip, ffmpeg, tempDir } from './helpers/video-clips';

async function failure(p: Promise<unknown>): Promise<UniAdapterError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(UniAdapterError);
    return e as UniAdapterError;
  }
  throw new Error('expected a rejection');
}

describe('locating ffmpeg', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  test('an explicit path that is not executable is ERR_VIDEO with install advice', async () => {
    const e = await failure(findTool('ffprobe', { ffprobe: '/nonexistent/ffprobe' }));
    expect(e.code).toBe('ERR_VIDEO');
    expect(e.message).toMatch(/apt-get install ffmpeg/);
    expect(e.message).toMatch(/UNIADAPTER_FFPROBE/);
    expect(e.message).toMatch(/\/nonexistent\/ffprobe/);
  });

  test('UNIADAPTER_FFMPEG is honoured and checked', async () => {
    process.env.UNIADAPTER_FFMPEG = '/nonexistent/ffmpeg';
    const e = await failure(findTool('ffmpeg'));
    expect(e.code).toBe('ERR_VIDEO');
    expect(e.message).toMatch(/UNIADAPTER_FFMPEG='\/nonexistent\/ffmpeg'/);
  });

  test('not on the PATH is ERR_VIDEO', async () => {
    process.env.PATH = tempDir('ua-empty-path-');
    delete process.env.UNIADAPTER_FFPROBE;
    const e = await failure(findTool('ffprobe'));
    expect(e.code).toBe('ERR_VIDEO');
    expect(e.message).toMatch(/not on the PATH.*install ffmpeg/);
  });

  test('found on the PATH, and through the environment variable', async () => {
    const p = await findTool('ffmpeg');
    expect(path.basename(p)).toBe('ffmpeg');
    process.env.UNIADAPTER_FFMPEG = p;
    expect(await findTool('ffmpeg')).toBe(p);
  });
});

const suite = describe; // ffmpeg is a required system package (the README's install, .ci/run)

suite('unreadable videos', () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir('ua-video-bad-');
    ffmpeg(['-f', 'lavfi', '-i', 'sine=frequency=440:duration=1', path.join(dir, 'audio.m4a')]);
    ffmpeg(['-f', 'lavfi', '-i', 'sine=frequency=440:duration=1', path.join(dir, 'audio.mp4')]);
    const bytes = Buffer.alloc(4096);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919 + 13) & 255;
    fs.writeFileSync(path.join(dir, 'garbage.mp4'), bytes);
    const good = counterClip(path.join(dir, 'good.mp4'), 50, ['-c:v', 'libx264rgb', '-qp', '0']);
    const whole = fs.readFileSync(good);
    fs.writeFileSync(path.join(dir, 'truncated.mp4'), whole.subarray(0, Math.floor(whole.length / 3)));
    fs.writeFileSync(path.join(dir, 'empty.mp4'), Buffer.alloc(0));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('a file with only audio: ERR_VIDEO "no video stream"', async () => {
    for (const name of ['audio.m4a', 'audio.mp4']) {
      const f = path.join(dir, name);
      const e = await failure(readVideoFrames(f));
      expect(e.code).toBe('ERR_VIDEO');
      expect(e.message).toContain(f);
      expect(e.message).toMatch(/no video stream/);
    }
  });

  test("corrupt files: ERR_VIDEO naming the file and ffmpeg's reason", async () => {
    for (const name of ['garbage.mp4', 'truncated.mp4', 'empty.mp4']) {
      const f = path.join(dir, name);
      const e = await failure(readVideoFrames(f, { frames: 4 }));
      expect(e.code).toBe('ERR_VIDEO');
      expect(e.message).toContain(f);
      expect(e.message.length).toBeGreaterThan(f.length + 20);
    }
  });

  test('a missing file is ERR_IO', async () => {
    const e = await failure(probeVideo(path.join(dir, 'nope.mp4')));
    expect(e.code).toBe('ERR_IO');
    expect(e.message).toMatch(/not found/);
  });

  test('bad options are ERR_ARG', async () => {
    const f = path.join(dir, 'good.mp4');
    expect((await failure(readVideoFrames(f, { frames: 0 }))).code).toBe('ERR_ARG');
    expect((await failure(readVideoFrames(f, { size: -3 }))).code).toBe('ERR_ARG');
    expect((await failure(readVideoFrames(f, { mode: 'random' }))).code).toBe('ERR_ARG');
  });

  test('an aborted read rejects with ERR_ABORTED', async () => {
    const ac = new AbortController();
    ac.abort();
    const e = await failure(readVideoFrames(path.join(dir, 'good.mp4'), { signal: ac.signal }));
    expect(e.code).toBe('ERR_ABORTED');
  });
});
