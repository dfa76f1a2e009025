/**
 * User paths handed to ffprobe/ffmpeg: a file named like an option (`-report`), like a URL
 * (`http://127.0.0.1:9/v.mp4`) or like a protocol (`pipe:0`) must be read as the local file it is.
 * Every path goes to the tools as a `file:` URL of its absolute path, with only the file protocol allowed.
 */
import { promises as fsp } from 'fs';
import * as path from 'path';
import { probeVideo, readVideoFrames } from '../lib/data/media/video';
import { counterClip, frameNumber, haveFfmpeg, tempDir } from './helpers/video-clips';
import { removeTempDir } from './helpers/weights-fixtures';

let dir: string;
let clip: string;
const cwd = process.cwd();

beforeAll(() => {
  if (!haveFfmpeg()) throw new Error('these tests need ffmpeg and ffprobe on the PATH (apt-get install ffmpeg)');
  dir = tempDir('uniadapter-hostile-media-');
  clip = counterClip(path.join(dir, 'clip.mkv'), 10, ['-c:v', 'ffv1']);
});

afterAll(async () => {
  process.chdir(cwd);
  await removeTempDir(dir);
});

afterEach(() => {
  process.chdir(cwd);
});

/** Copies the clip to `relative` under a fresh folder, makes that folder the working folder, returns it. */
async function clipAt(relative: string): Promise<string> {
  const root = await fsp.mkdtemp(path.join(dir, 'cwd-'));
  await fsp.mkdir(path.dirname(path.join(root, relative)), { recursive: true });
  await fsp.copyFile(clip, path.join(root, relative));
  process.chdir(root);
  return root;
}

/** A stand-in for ffprobe/ffmpeg that records its arguments, one per line, and fails. */
async function recordingTool(root: string): Promise<{ tool: string; args: () => Promise<string[]> }> {
  const log = path.join(root, 'args.txt');
  const tool = path.join(root, 'record-args.sh');
  await fsp.writeFile(tool, `#!/bin/sh\nfor a in "$@"; do printf '%s\\n' "$a" >> '${log}'; done\nexit 1\n`, { mode: 0o755 });
  return { tool, args: async () => (await fsp.readFile(log, 'utf8')).split('\n').filter((l) => l !== '') };
}

describe('paths reach the tools as file: URLs of absolute paths, with only the file protocol allowed', () => {
  test('ffprobe is given -protocol_whitelist file and file:<absolute path>, never the bare name', async () => {
    const root = await clipAt('-report');
    const { tool, args } = await recordingTool(root);
    await expect(probeVideo('-report', { tools: { ffprobe: tool } })).rejects.toMatchObject({ code: 'ERR_VIDEO' });
    const seen = await args();
    expect(seen).not.toContain('-report');
    expect(seen).toContain(`file:${path.join(root, '-report')}`);
    const at = seen.indexOf('-protocol_whitelist');
    expect(seen[at + 1]).toBe('file');
    expect(at).toBeLessThan(seen.indexOf(`file:${path.join(root, '-report')}`));
  }, 10000);

  test('ffmpeg is given the same', async () => {
    const root = await clipAt('pipe:0');
    const { tool, args } = await recordingTool(root);
    const info = await probeVideo('pipe:0');
    await expect(readVideoFrames('pipe:0', { info, frames: 2, tools: { ffmpeg: tool } })).rejects.toMatchObject({ code: 'ERR_VIDEO' });
    const seen = await args();
    expect(seen).not.toContain('pipe:0');
    const input = seen.indexOf('-i');
    expect(seen[input + 1]).toBe(`file:${path.join(root, 'pipe:0')}`);
    expect(seen.slice(0, input)).toEqual(expect.arrayContaining(['-protocol_whitelist', 'file']));
  }, 10000);
});

describe('hostile names are read as the local files they are', () => {
  test("a video named '-report' is probed and decoded, and ffprobe writes no report log", async () => {
    const root = await clipAt('-report');
    const info = await probeVideo('-report');
    expect(info.frames).toBe(10);
    const v = await readVideoFrames('-report', { frames: 2 });
    expect([frameNumber(v.data, 0), frameNumber(v.data, 1)]).toEqual([0, 5]);
    expect((await fsp.readdir(root)).filter((f) => f.endsWith('.log'))).toEqual([]);
  }, 20000);

  test("a local file whose relative path is 'http://127.0.0.1:9/v.mp4' is read from disk, not over TCP", async () => {
    await clipAt('http://127.0.0.1:9/v.mp4');
    const info = await probeVideo('http://127.0.0.1:9/v.mp4');
    expect(info.frames).toBe(10);
    const v = await readVideoFrames('http://127.0.0.1:9/v.mp4', { frames: 2 });
    expect(frameNumber(v.data, 1)).toBe(5);
  }, 20000);

  test("a file named 'pipe:0' is read from disk, not from standard input", async () => {
    await clipAt('pipe:0');
    const v = await readVideoFrames('pipe:0', { frames: 2 });
    expect(v.info.frames).toBe(10);
    expect(frameNumber(v.data, 1)).toBe(5);
  }, 20000);
});
