/**
 * Golden equivalence with the official code: every case folder of golden-tiny runs through the same
 * code path as `uniadapter golden`, and every tensor of its outputs.safetensors must match within the
 * fixtures' tolerances. A failure names the tensor and its worst element.
 */
import * as fs from 'fs';
import * as path from 'path';
import { runGoldenCase } from '../lib/tools/golden/run-case';
import { readSafetensors } from '../lib/io/safetensors';
import { compareTensor } from '../lib/tools/golden/tolerance';
import { GOLDEN_TINY } from './helpers/fixtures';

const cases = fs
  .readdirSync(GOLDEN_TINY, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

describe('golden-tiny fixture set', () => {
  it('has the six documented cases', () => {
    expect(cases).toEqual(['caption', 'retrieval', 'retrieval-video', 'train-step', 'train-step-video', 'vqa']);
  });

  it.each(cases)('%s matches the official outputs', async (name) => {
    const dir = path.join(GOLDEN_TINY, name);
    const expected = await readSafetensors(path.join(dir, 'outputs.safetensors'));
    const { outputs } = await runGoldenCase(dir);
    const failures = Object.keys(expected)
      .map((k) => compareTensor(k, expected[k], outputs[k]))
      .filter((m) => m !== null)
      .map((m) => m!.message);
    expect(failures).toEqual([]);
    expect(Object.keys(expected).length).toBeGreaterThan(5);
  });
});
