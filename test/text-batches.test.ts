/**
 * BLIP's per-task tokenizer conventions: checked against the token ids stored in the golden-tiny
 * fixtures (tokenised by the official harness) and on bert-base-uncased for lengths and first tokens.
 */
import * as fs from 'fs';
import * as path from 'path';
import { UniAdapterError } from '../lib/errors';
import { readSafetensors } from '../lib/io/safetensors';
import { toNumbers, type HostTensor } from '../lib/tensor';
import {
  captionPrompt,
  captionPromptTensor,
  encodeBatchTensors,
  forAnswers,
  forCaptionTraining,
  forQuestions,
  forRetrieval,
  textBatchToTensors,
  type TextTensors,
} from '../lib/text/text-batches';
import { BlipTokenizer, type TextBatch } from '../lib/text/tokenizer';
import { GOLDEN_TINY } from './helpers/fixtures';

const tok = BlipTokenizer.bertBaseUncased();

interface GoldenText {
  config: {
    text: { vocab: string[]; special_token_ids: Record<string, number> };
    texts: unknown;
    prompt?: string;
  };
  inputs: Record<string, HostTensor>;
  tokenizer: BlipTokenizer;
}

async function golden(name: string): Promise<GoldenText> {
  const dir = path.join(GOLDEN_TINY, name);
  const config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')) as GoldenText['config'];
  const inputs = await readSafetensors(path.join(dir, 'inputs.safetensors'));
  return { config, inputs, tokenizer: BlipTokenizer.fromVocabList(config.text.vocab) };
}

/** The batch as the golden fixtures store it: int64 [B, L]. */
function expectTensors(batch: TextBatch, ids: HostTensor, mask?: HostTensor): void {
  const t: TextTensors = textBatchToTensors(batch);
  expect(t.inputIds.dtype).toBe('int64');
  expect(t.inputIds.shape).toEqual(ids.shape);
  expect(toNumbers(t.inputIds)).toEqual(toNumbers(ids));
  if (mask) {
    expect(t.attentionMask.shape).toEqual(mask.shape);
    expect(toNumbers(t.attentionMask)).toEqual(toNumbers(mask));
  }
}

describe('golden-tiny token ids', () => {
  it('finds the tiny vocabulary’s special tokens by name', async () => {
    const { config, tokenizer } = await golden('retrieval');
    const s = config.text.special_token_ids;
    expect([tokenizer.padId, tokenizer.unkId, tokenizer.clsId, tokenizer.sepId, tokenizer.maskId]).toEqual([
      s.pad,
      s.unk,
      s.cls,
      s.sep,
      s.mask,
    ]);
    expect([tokenizer.bosId, tokenizer.encId, tokenizer.vocabSize]).toEqual([s.bos, s.enc, config.text.vocab.length]);
  });

  it('retrieval: padded to 35, [CLS] for ITC and [ENC] for ITM', async () => {
    const { config, inputs, tokenizer } = await golden('retrieval');
    const texts = config.texts as string[];
    expectTensors(forRetrieval(tokenizer, texts), inputs.input_ids, inputs.attention_mask);
    expectTensors(forRetrieval(tokenizer, texts, { firstToken: 'enc' }), inputs.enc_input_ids, inputs.attention_mask);
  });

  it('VQA: questions with [ENC], training answers and the answer list with [DEC]', async () => {
    const { config, inputs, tokenizer } = await golden('vqa');
    const texts = config.texts as { questions: string[]; train_answers: string[]; answer_list: string[] };
    expectTensors(forQuestions(tokenizer, texts.questions), inputs.question_input_ids, inputs.question_attention_mask);
    expectTensors(forAnswers(tokenizer, texts.train_answers), inputs.answer_input_ids, inputs.answer_attention_mask);
    expectTensors(forAnswers(tokenizer, texts.answer_list), inputs.answer_list_input_ids, inputs.answer_list_attention_mask);
  });

  it('caption: training texts with [DEC], and the generation prompt', async () => {
    const { config, inputs, tokenizer } = await golden('caption');
    const texts = config.texts as string[];
    expectTensors(forCaptionTraining(tokenizer, texts), inputs.caption_input_ids, inputs.caption_attention_mask);
    const prompt = config.prompt as string;
    const captions = texts.map((t) => t.slice(prompt.length));
    expectTensors(forCaptionTraining(tokenizer, captions, { prompt }), inputs.caption_input_ids);
    const p = captionPromptTensor(tokenizer, prompt, texts.length);
    expect(p.shape).toEqual(inputs.generate_prompt_input_ids.shape);
    expect(toNumbers(p)).toEqual(toNumbers(inputs.generate_prompt_input_ids));
  });
});

describe('task conventions on bert-base-uncased', () => {
  const long = Array.from({ length: 50 }, (_, i) => `word${i}`).join(' ');

  it('forRetrieval pads and truncates to exactly 35 (or the given length)', () => {
    const b = forRetrieval(tok, ['a dog', long]);
    expect(b.inputIds.map((r) => r.length)).toEqual([35, 35]);
    expect(b.inputIds[0].slice(0, 4)).toEqual([101, 1037, 3899, 102]);
    expect(b.attentionMask[0].reduce((a, x) => a + x, 0)).toBe(4);
    expect(b.inputIds[1][34]).toBe(102);
    expect(b.attentionMask[1].every((x) => x === 1)).toBe(true);
    expect(forRetrieval(tok, ['a dog'], { firstToken: 'enc' }).inputIds[0][0]).toBe(30523);
    expect(forRetrieval(tok, [long], { maxLength: 64 }).inputIds[0]).toHaveLength(64);
  });

  it("forRetrieval with padding 'longest' pads to the longest text, still cut at maxLength", () => {
    const b = forRetrieval(tok, ['a dog', 'a dog on grass'], { padding: 'longest' });
    expect(b.inputIds.map((r) => r.length)).toEqual([6, 6]);
    expect(b.inputIds[0]).toEqual([101, 1037, 3899, 102, 0, 0]);
    expect(forRetrieval(tok, ['a dog', long], { padding: 'longest' }).inputIds.map((r) => r.length)).toEqual([35, 35]);
    expect(() => forRetrieval(tok, ['x'], { padding: 'max_length' as 'longest' })).toThrow(/padding must be 'max-length' or 'longest', got 'max_length'/);
    expect(() => forRetrieval(tok, ['x'], { padding: 'none' as 'longest' })).toThrow(UniAdapterError);
  });

  it('forQuestions pads to the longest, caps at 35 and starts with [ENC]', () => {
    const b = forQuestions(tok, ['what is this?', 'how many?']);
    expect(b.inputIds[0]).toEqual([30523, 2054, 2003, 2023, 1029, 102]);
    expect(b.inputIds[1]).toEqual([30523, 2129, 2116, 1029, 102, 0]);
    expect(b.attentionMask[1]).toEqual([1, 1, 1, 1, 1, 0]);
    const c = forQuestions(tok, [long]);
    expect(c.inputIds[0]).toHaveLength(35);
    expect(c.inputIds[0][34]).toBe(102);
  });

  it('forAnswers never truncates and starts with [DEC]', () => {
    const b = forAnswers(tok, ['yes', long]);
    expect(b.inputIds[0].slice(0, 3)).toEqual([30522, 2748, 102]);
    expect(b.inputIds[1]).toHaveLength(tok.encode(long).length);
    expect(b.inputIds[1].length).toBeGreaterThan(35);
  });

  it('forCaptionTraining caps at 40 and starts with [DEC]; the prompt is prepended', () => {
    const b = forCaptionTraining(tok, [long]);
    expect(b.inputIds[0]).toHaveLength(40);
    expect(b.inputIds[0][0]).toBe(30522);
    expect(b.inputIds[0][39]).toBe(102);
    const c = forCaptionTraining(tok, ['a dog'], { prompt: 'a picture of ' });
    expect(c.inputIds[0]).toEqual([30522, 1037, 3861, 1997, 1037, 3899, 102]);
  });

  it('captionPrompt is [DEC] a picture of, without [SEP]', () => {
    expect(captionPrompt(tok)).toEqual([30522, 1037, 3861, 1997]);
    expect(captionPrompt(tok, 'a photo of ')).toEqual([30522, 1037, 6302, 1997]);
    const t = captionPromptTensor(tok, 'a picture of ', 3);
    expect(t.shape).toEqual([3, 4]);
    expect(toNumbers(t)).toEqual([30522, 1037, 3861, 1997, 30522, 1037, 3861, 1997, 30522, 1037, 3861, 1997]);
  });

  it('builds int64 tensors [B, L] and refuses ragged batches', () => {
    const t = encodeBatchTensors(tok, ['a dog', 'a cat on a mat'], { padding: 'longest' });
    expect(t.inputIds.shape).toEqual([2, 7]);
    expect(t.inputIds.data).toBeInstanceOf(BigInt64Array);
    expect(toNumbers(t.attentionMask)).toEqual([1, 1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1]);
    expect(textBatchToTensors({ inputIds: [], attentionMask: [] }).inputIds.shape).toEqual([0, 0]);
    expect(() => encodeBatchTensors(tok, ['a dog', 'a cat on a mat'], { padding: 'none' })).toThrow(UniAdapterError);
    expect(() => captionPromptTensor(tok, 'a picture of ', 0)).toThrow(UniAdapterError);
    expect(() => forRetrieval(tok, ['x'], { firstToken: 'sep' as 'cls' })).toThrow(UniAdapterError);
  });
});
