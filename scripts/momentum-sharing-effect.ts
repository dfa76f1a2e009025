/**
 * What `momentumSharesBackbone: true` changes on the golden training steps: each case runs with the
 * official separate momentum backbone and with the shared one, and the worst difference of every
 * output group against the official outputs is printed as JSON.
 *   npx tsx scripts/momentum-sharing-effect.ts [fixture-dir]
 */
import * as path from 'path';
import { runGoldenCase } from '../lib/tools/golden/run-case';
import { readSafetensors } from '../lib/io/safetensors';
import { toNumbers, type HostTensor } from '../lib/tensor';

function worst(a: HostTensor, b: HostTensor): number {
  const x = toNumbers(a);
  const y = toNumbers(b);
  let w = 0;
  for (let i = 0; i < x.length; i++) w = Math.max(w, Math.abs(x[i] - y[i]));
  return w;
}

const GROUPS: Array<[string, RegExp]> = [
  ['loss', /^loss$/],
  ['loss_ita', /^loss_ita$/],
  ['loss_itm', /^loss_itm$/],
  ['distillation targets', /^sim_(i2t|t2i)_targets$/],
  ['momentum features', /_feat_m$/],
  ['gradients', /^grad\./],
];

async function effect(dir: string, shares: boolean): Promise<Record<string, number>> {
  const expected = await readSafetensors(path.join(dir, 'outputs.safetensors'));
  const { outputs } = await runGoldenCase(dir, { modelOverrides: { momentumSharesBackbone: shares } });
  const out: Record<string, number> = {};
  for (const [group, re] of GROUPS) {
    const names = Object.keys(expected).filter((k) => re.test(k) && outputs[k]);
    if (names.length) out[group] = Math.max(...names.map((k) => worst(expected[k], outputs[k])));
  }
  return out;
}

async function main(): Promise<void> {
  const root = path.resolve(process.argv[2] ?? path.join(__dirname, '..', 'test', 'fixtures', 'golden-tiny'));
  const result: Record<string, unknown> = {};
  for (const name of ['train-step', 'train-step-video']) {
    const dir = path.join(root, name);
    result[name] = { separate: await effect(dir, false), shared: await effect(dir, true) };
  }
  process.stdout.write(JSON.stringify(result, null, 2) + '\n');
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).message}\n`);
  process.exit(1);
});
