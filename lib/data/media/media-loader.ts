/**
 * Loading the pixels of one sample for training or evaluation: images through BLIP's transforms,
 * videos as N uniformly sampled frames (random within each segment when training) with the crop and
 * flip drawn once per clip. Pixels stay uint8 [.., S, S, 3]; the native side normalises them.
 */
import { decodeImage } from './image';
import { readVideoFrames, videoFramesTensor, type FrameSampling } from './video';
import { Rng } from '../rng';
import { ClipTransform } from '../transforms/clip-transform';
import { testTransform } from '../transforms/test-transform';
import { TrainTransform } from '../transforms/train-transform';
import type { HostTensor } from '../../tensor';

export interface MediaOptions {
  size: number;
  /** Frames per video clip. */
  frames: number;
  /** How frames are chosen when not augmenting: 'uniform' (default, segment starts) or BLIP's 'blip-arange'. */
  frameSampling?: Exclude<FrameSampling, 'random'>;
  /** Training augmentation (RandomResizedCrop, flip, RandAugment for images). */
  augment: boolean;
  /** RandAugment on images when augmenting (BLIP: on). */
  randAugment?: boolean;
  /** RandAugment's AutoContrast: the official uint8-wrap behaviour (default) or the fixed stretch. */
  autoContrast?: 'blip-uint8-wrap' | 'stretch';
}

export class MediaLoader {
  private readonly train: TrainTransform;
  private readonly clipTrain: ClipTransform;
  private readonly clipTest: ClipTransform;

  constructor(readonly options: MediaOptions) {
    this.train = new TrainTransform({
      size: options.size,
      randAugment: options.randAugment === false ? false : { autoContrastMode: options.autoContrast ?? 'blip-uint8-wrap' },
    });
    this.clipTrain = new ClipTransform({ size: options.size, train: true });
    this.clipTest = new ClipTransform({ size: options.size, train: false });
  }

  /** uint8 [S, S, 3]. */
  async image(file: string, seed: number): Promise<HostTensor> {
    const img = await decodeImage(file);
    if (!this.options.augment) return testTransform(img, this.options.size);
    return this.train.apply(img, new Rng(seed));
  }

  /** uint8 [T, S, S, 3]. */
  async video(file: string, seed: number): Promise<HostTensor> {
    const rng = new Rng(seed);
    const frames = await readVideoFrames(file, { frames: this.options.frames, mode: this.options.augment ? 'random' : this.options.frameSampling ?? 'uniform', rng });
    const t = videoFramesTensor(frames);
    return this.options.augment ? this.clipTrain.apply(t, rng) : this.clipTest.apply(t);
  }
}
