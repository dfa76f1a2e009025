/** `uniadapter preprocess`: the normalised test-time tensor of an image (and a video) in safetensors. */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { isVideoPath } from '../lib/cli/preprocess';
import { normalizeToFloat } from '../lib/data/transforms/normalize';
import { readSafetensors } from '../lib/io/safetensors';
import { fixturePath, manifest, readPixels } from './helpers/image-fixtures';
import { runCli } from './helpers/run-cli';

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'uniadapter-preprocess-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const { code, out, err } = await runCli(['preprocess', ...args]);
  return { code, stdout: out, stderr: err };
}

test('an image: pixel_values float32 [3, N, N] equal to normalising the PIL reference', async () => {
  const img = manifest().images.find((i) => i.file === 'src/coffee-240x160.png')!;
  const out = path.join(tmp, 'coffee.safetensors');
  const r = await cli([fixturePath(img.file), '--size', '224', '--out', out]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(JSON.parse(r.stdout)).toMatchObject({ tensor: 'pixel_values', dtype: 'float32', shape: [3, 224, 224] });
  const tensors = await readSafetensors(out);
  const t = tensors.pixel_values;
  expect(t.dtype).toBe('float32');
  expect(t.shape).toEqual([3, 224, 224]);
  const ref = readPixels(img.refs.find((x) => x.size === 224)!.file);
  const want = normalizeToFloat({ dtype: 'uint8', shape: [224, 224, 3], data: ref }).data as Float32Array;
  const got = t.data as Float32Array;
  let max = 0;
  for (let i = 0; i < want.length; i++) max = Math.max(max, Math.abs(got[i] - want[i]));
  expect(max).toBe(0);
});

test('video detection is by extension; GIF is an image', () => {
  for (const f of ['a.mp4', 'b.MKV', 'c.webm', 'd.avi', 'e.mov', 'f.m4v']) expect(isVideoPath(f)).toBe(true);
  for (const f of ['a.gif', 'b.jpg', 'c.png', 'd.webp', 'noext']) expect(isVideoPath(f)).toBe(false);
});

test('errors: corrupt image, missing --out, --frames on an image', async () => {
  const bad = path.join(tmp, 'bad.jpg');
  fs.writeFileSync(bad, 'not an image');
  let r = await cli([bad, '--out', path.join(tmp, 'x.safetensors')]);
  expect(r.code).toBe(1);
  expect(r.stderr).toContain('bad.jpg');
  expect(r.stderr).toContain('[ERR_IMAGE]');
  expect(fs.existsSync(path.join(tmp, 'x.safetensors'))).toBe(false);
  r = await cli([fixturePath('src/coffee-240x160.png')]);
  expect(r.code).toBe(1);
  expect(r.stderr).toContain('[ERR_ARG]');
  r = await cli([fixturePath('src/coffee-240x160.png'), '--out', path.join(tmp, 'y.safetensors'), '--frames', '4']);
  expect(r.code).toBe(1);
  expect(r.stderr).toContain('--frames applies to videos');
});

test('a video: pixel_values float32 [T, 3, N, N] (needs ffmpeg)', async () => {
  const video = path.join(tmp, 'clip.mp4');
  const made = spawnSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=96x64:rate=10', '-t', '2', '-pix_fmt', 'yuv420p', video]);
  expect(made.status).toBe(0);
  const out = path.join(tmp, 'clip.safetensors');
  const r = await cli([video, '--size', '32', '--frames', '4', '--out', out]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const t = (await readSafetensors(out)).pixel_values;
  expect(t.shape).toEqual([4, 3, 32, 32]);
});
