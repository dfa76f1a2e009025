/**
 * The demo's VQA stage adapts a VQA-fine-tuned backbone, as the official configs adapt
 * model_base_vqa_capfilt_large.pth: the embedded one by default, another with `--vqa-weights <file>`,
 * the pretrained one with `--vqa-weights pretrained` (or a `--checkpoint` alone), while retrieval and
 * captioning keep the pretrained one; a file that is missing or does not match its manifest is refused
 * before any work.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { answerQuestions } from '../lib/inference/answer';
import { readSafetensors, writeSafetensors } from '../lib/io/safetensors';
import { VqaModel } from '../lib/model/vqa-model';
import { ModelSession } from '../lib/session/model-session';
import type { HostTensor } from '../lib/tensor';
import { BlipTokenizer } from '../lib/text/tokenizer';
import { forAnswers } from '../lib/text/text-batches';
import { answerScore, humanAnswers } from '../lib/tools/demo/baselines';
import { DEMO_METHOD, DEMO_METHODS } from '../lib/tools/demo/demo-methods';
import { demoModelConfig, QUICK_PLAN } from '../lib/tools/demo/demo-plan';
import { generateDemoData, namedBackbone, vqaBackboneOf } from '../lib/tools/demo/demo-setup';
import { stageModelConfig, vqaStage, type StageContext } from '../lib/tools/demo/demo-stages';
import { openDatasetFolder } from '../lib/data/dataset-folder';
import { embeddedModel } from '../lib/weights/embedded-model';
import { loadWeights } from '../lib/weights/load-weights';
import { manifestPathOf } from '../lib/weights/pretrained-manifest';
import { expectUniAdapterError } from './helpers/expect-error';

jest.setTimeout(180_000);

const TENSOR = 'text_decoder.bert.encoder.layer.0.crossattention.self.query.weight';
const BIAS = 'text_decoder.cls.predictions.bias';
let dir: string;
let vqaWeights: string;
let embeddedTensor: HostTensor;

function scaled(t: HostTensor, by: number): HostTensor {
  return { ...t, data: Float32Array.from(t.data as Float32Array, (v) => v * by) } as HostTensor;
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uniadapter-demo-vqa-backbone-'));
  // Another VQA backbone: the embedded model's VQA weights with one decoder tensor halved and the
  // output bias of "yes" raised far enough that it answers "yes" to everything.
  await using model = await VqaModel.create(demoModelConfig('vqa', QUICK_PLAN));
  await loadWeights(model, (await embeddedModel()).weights, { strict: false });
  const all = await model.stateDict('all');
  const backbone = Object.fromEntries(Object.entries(all).filter(([n]) => !/adapter/.test(n)));
  embeddedTensor = backbone[TENSOR];
  backbone[TENSOR] = scaled(backbone[TENSOR], 0.5);
  const bias = Float32Array.from(backbone[BIAS].data as Float32Array);
  bias[forAnswers(BlipTokenizer.bertBaseUncased(), ['yes']).inputIds[0][1]] += 50;
  backbone[BIAS] = { ...backbone[BIAS], data: bias } as HostTensor;
  vqaWeights = path.join(dir, 'vqa-backbone.safetensors');
  await writeSafetensors(vqaWeights, backbone);
  await generateDemoData(path.join(dir, 'data'), QUICK_PLAN, () => {});
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

it('trains and measures the VQA stage on the given backbone, zero-shot included', async () => {
  const tok = BlipTokenizer.bertBaseUncased();
  const ctx: StageContext = { weights: (await embeddedModel()).weights, vqaWeights, data: path.join(dir, 'data'), plan: QUICK_PLAN, tok, dir: path.join(dir, 'report'), log: () => {} };
  const result = await vqaStage(ctx, DEMO_METHOD, { serve: true });
  // The served model's frozen backbone is the given one, not the embedded one.
  const served = await readSafetensors(path.join(dir, 'report', 'serve', 'vqa.safetensors'));
  const got = served[TENSOR].data as Float32Array;
  const want = scaled(embeddedTensor, 0.5).data as Float32Array;
  expect(Math.max(...got.map((v, i) => Math.abs(v - want[i])))).toBe(0);
  // Zero-shot is that backbone alone.
  const task = (await openDatasetFolder(ctx.data)).task('vqa');
  const test = (await task.readEval('test')).records.slice(0, QUICK_PLAN.qaEvalQuestions);
  const list = (await task.readAnswerList()).answers;
  const zeroShot = DEMO_METHODS.find((m) => m.id === 'zero-shot')!;
  const accuracyOn = async (weights: string) => {
    await using session = await ModelSession.open({ config: stageModelConfig(ctx, 'vqa', zeroShot), weights, tokenizer: tok });
    const res = await answerQuestions(session.modelFor('vqa'), test.map((r) => r.image), test.map((r) => r.question), { tokenizer: tok, answerList: list, k: Math.min(16, list.length) });
    return { answers: res.map((r) => r.answer), accuracy: (100 * res.reduce((s, r, i) => s + answerScore(r.answer, humanAnswers(test[i])), 0)) / test.length };
  };
  const given = await accuracyOn(vqaWeights);
  const embedded = await accuracyOn(ctx.weights);
  expect(new Set(given.answers)).toEqual(new Set(['yes']));
  expect(given.accuracy).not.toBe(embedded.accuracy);
  expect(result.zeroShot).toBe(given.accuracy);
});

it('refuses a missing file, and a file that does not match the manifest beside it', async () => {
  const named = (file: string) => namedBackbone(file, '--vqa-weights', QUICK_PLAN);
  await expectUniAdapterError(named(path.join(dir, 'nothing.safetensors')), 'ERR_ARG', '--vqa-weights: no checkpoint at', "'pretrained'");
  expect(await named(vqaWeights)).toEqual({ weights: vqaWeights });
  // A file that lacks a backbone tensor does not fit the VQA model.
  const partial = path.join(dir, 'partial.safetensors');
  await writeSafetensors(partial, Object.entries(await readSafetensors(vqaWeights)).filter(([n]) => n !== TENSOR));
  await expectUniAdapterError(named(partial), 'ERR_ARG', 'does not fit the VQA model', `${TENSOR} missing`);
  const manifest = { format: 'uniadapter-pretrained/1', weights: path.basename(vqaWeights), sha256: '0'.repeat(64), bytes: fs.statSync(vqaWeights).size, command: 'uniadapter pretrain --config x.yaml' };
  fs.writeFileSync(manifestPathOf(vqaWeights), JSON.stringify(manifest));
  await expectUniAdapterError(named(vqaWeights), 'ERR_WEIGHTS', 'does not match its manifest');
  const { createHash } = await import('crypto');
  fs.writeFileSync(manifestPathOf(vqaWeights), JSON.stringify({ ...manifest, sha256: createHash('sha256').update(fs.readFileSync(vqaWeights)).digest('hex') }));
  expect(await named(vqaWeights)).toMatchObject({ weights: vqaWeights, command: 'uniadapter pretrain --config x.yaml' });
  // A manifest beside the file that describes another file.
  fs.copyFileSync(vqaWeights, path.join(dir, 'other.safetensors'));
  fs.writeFileSync(manifestPathOf(vqaWeights), JSON.stringify({ ...manifest, weights: 'other.safetensors', sha256: createHash('sha256').update(fs.readFileSync(vqaWeights)).digest('hex') }));
  await expectUniAdapterError(named(vqaWeights), 'ERR_WEIGHTS', 'describes', 'other.safetensors');
});

it('takes the embedded VQA backbone by default, the pretrained one when asked or beside a --checkpoint alone', async () => {
  const vqa = await embeddedModel('vqa');
  expect(await vqaBackboneOf(undefined, QUICK_PLAN)).toEqual({ weights: vqa.weights, sha256: vqa.manifest.sha256, command: vqa.manifest.command });
  expect(await vqaBackboneOf('pretrained', QUICK_PLAN)).toBeUndefined();
  expect(await vqaBackboneOf(undefined, QUICK_PLAN, '/some/model_base.pth')).toBeUndefined();
});
