/**
 * Transforms for video clips (uint8 frames [T, H, W, 3]). Evaluation: BLIP's test transform on every
 * frame. Training: crop box, flip and (when switched on) the RandomAugment plan are drawn once per
 * clip and applied to every frame, so the clip stays temporally consistent. RandomAugment is off by
 * default for video (the official code has no video transform; see the spec, §9.1).
 */
import { UniAdapterError } from '../../errors';
import { resizeImage } from '../media/image';
import type { RgbImage } from '../media/rgb-image';
import type { HostTensor } from '../../tensor';
import type { Rng } from '../rng';
import { TrainTransform, type TrainSample, type TrainTransformOptions } from './train-transform';

export interface ClipTransformOptions extends TrainTransformOptions {
  /** Training (random, shared per clip) or evaluation (plain resize). Default true. */
  train?: boolean;
}

/** Splits uint8 [T, H, W, 3] into per-frame images that share the buffer. */
export function clipFrames(frames: HostTensor): RgbImage[] {
  const s = frames.shape;
  if (frames.dtype !== 'uint8' || s.length !== 4 || s[3] !== 3 || s.some((d) => !Number.isInteger(d) || d <= 0)) {
    throw new UniAdapterError('ERR_ARG', `clip transform: expected uint8 frames [T, H, W, 3], got ${frames.dtype} [${s.join(', ')}]`);
  }
  const [T, H, W] = s;
  const frame = H * W * 3;
  const data = frames.data as Uint8Array;
  if (data.length !== T * frame) {
    throw new UniAdapterError('ERR_ARG', `clip transform: [${s.join(', ')}] needs ${T * frame} bytes, got ${data.length}`);
  }
  const out: RgbImage[] = [];
  for (let t = 0; t < T; t++) out.push({ data: data.subarray(t * frame, (t + 1) * frame), width: W, height: H });
  return out;
}

function stack(frames: RgbImage[], size: number): HostTensor {
  const frame = size * size * 3;
  const data = new Uint8Array(frames.length * frame);
  frames.forEach((f, t) => data.set(f.data, t * frame));
  return { dtype: 'uint8', shape: [frames.length, size, size, 3], data };
}

/** Video clip transform: per-clip shared random parameters in training, plain resize in evaluation. */
export class ClipTransform {
  readonly train: boolean;
  readonly size: number;
  private readonly inner: TrainTransform;

  constructor(options: ClipTransformOptions) {
    this.train = options.train ?? true;
    this.inner = new TrainTransform({ ...options, randAugment: options.randAugment ?? false });
    this.size = this.inner.size;
  }

  /** Draws the clip's shared parameters for frames of the given size. */
  sample(width: number, height: number, rng: Rng): TrainSample {
    return this.inner.sample(width, height, rng);
  }

  /**
   * Transforms a clip.
   *
   * @param frames uint8 [T, H, W, 3]
   * @param rng required when training
   * @returns uint8 [T, S, S, 3]
   */
  async apply(frames: HostTensor, rng?: Rng): Promise<HostTensor> {
    const images = clipFrames(frames);
    const { width, height } = images[0];
    if (!this.train) {
      const out = await Promise.all(images.map((f) => resizeImage(f, this.size, this.size, this.inner.filter)));
      return stack(out, this.size);
    }
    if (!rng) throw new UniAdapterError('ERR_ARG', 'clip transform: a random generator is needed in training mode');
    const sample = this.inner.sample(width, height, rng);
    const out = await Promise.all(images.map((f) => this.inner.applySample(f, sample)));
    return stack(out, this.size);
  }
}
