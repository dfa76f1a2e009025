/** Captioning: beam search (3 beams, max 20 tokens, min 5, with the prompt "a picture of ") or greedy. */
import { UniAdapterError } from '../errors';
import type { CaptionModel } from '../model/caption-model';
import { toNumbers } from '../tensor';
import type { BlipTokenizer } from '../text/tokenizer';
import { captionPromptTensor } from '../text/text-batches';
import { CAPTION_PROMPT } from '../data/batches';
import { pixelsOf, type ImageInput } from '../data/media/media-input';
import { CAPTION_GENERATION_DEFAULTS } from '../model/generation-options';
import { generationLimits } from '../model/generation-options';

export interface CaptionOptions {
  tokenizer: BlipTokenizer;
  /** 3 (beam search, the official setting); 1 = greedy. */
  numBeams?: number;
  maxLength?: number;
  minLength?: number;
  repetitionPenalty?: number;
  prompt?: string;
}

export interface CaptionResult {
  caption: string;
  score?: number;
}

export async function captionImages(model: CaptionModel, images: readonly ImageInput[], options: CaptionOptions): Promise<CaptionResult[]> {
  if (images.length === 0) return [];
  generationLimits(options, CAPTION_GENERATION_DEFAULTS); // checked before any image is decoded
  const prompt = options.prompt ?? CAPTION_PROMPT;
  const tok = options.tokenizer;
  const pixels = await pixelsOf(images, model.config.vision.imageSize);
  const g = await model.generate(pixels, captionPromptTensor(tok, prompt, 1), {
    numBeams: options.numBeams,
    maxLength: options.maxLength,
    minLength: options.minLength,
    repetitionPenalty: options.repetitionPenalty,
  });
  const ids = toNumbers(g.ids);
  const L = g.ids.shape[1];
  const scores = g.scores ? toNumbers(g.scores) : undefined;
  return images.map((_, i) => {
    const text = tok.decode(ids.slice(i * L, (i + 1) * L));
    // BLIP: decode, then drop the prompt's characters.
    const caption = text.startsWith(prompt.trim()) ? text.slice(prompt.length).trim() : text;
    if (caption === undefined) throw new UniAdapterError('ERR_STATE', 'generation produced no text');
    return { caption, score: scores?.[i] };
  });
}
