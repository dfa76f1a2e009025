/**
 * The rows of `uniadapter demo --compare`, in the order of the paper's Tables 2 and 4: what each row
 * trains (its PETL settings) and its learning rate relative to the demo plan's. The demo itself trains
 * the `uniadapter` row.
 */
import type { PetlConfig } from '../../config/model-config';

export interface DemoMethod {
  /** Stable key (metrics.json, file names). */
  id: 'zero-shot' | 'linear-probe' | 'adapter' | 'lora' | 'uniadapter' | 'uniadapter-unshared' | 'full';
  /** The row's name in tables and charts. */
  label: string;
  /**
   * PETL settings over the model configuration's: the method and what sets it apart (sharing, LoRA's
   * rank). Adapter widths come from the model configuration (the demo model's r = 64, BLIP-base's 512).
   */
  petl: Partial<PetlConfig>;
  /** Multiplies the plan's learning rate. */
  lrScale: number;
  /** False for the row that is evaluated without training. */
  trains: boolean;
}

/** UniAdapter as the demo trains it: the shared down-projection (the paper's design). */
export const UNIADAPTER_PETL: Partial<PetlConfig> = { method: 'uniadapter', share: 'down' };

export const DEMO_METHODS: readonly DemoMethod[] = [
  { id: 'zero-shot', label: 'zero-shot', petl: { method: 'none' }, lrScale: 0, trains: false },
  { id: 'linear-probe', label: 'linear probe', petl: { method: 'linear-probe' }, lrScale: 1, trains: true },
  { id: 'adapter', label: 'Houlsby adapter', petl: { method: 'adapter' }, lrScale: 1, trains: true },
  { id: 'lora', label: 'LoRA', petl: { method: 'lora', loraRank: 16, loraAlpha: 16 }, lrScale: 1, trains: true },
  { id: 'uniadapter', label: 'UniAdapter (shared down)', petl: UNIADAPTER_PETL, lrScale: 1, trains: true },
  { id: 'uniadapter-unshared', label: 'UniAdapter (no sharing)', petl: { ...UNIADAPTER_PETL, share: 'none' }, lrScale: 1, trains: true },
  // Every weight of the backbone: the adapters' rate (3e-3) is three times the peak rate the backbone was
  // pretrained at (configs/pretrain-demo.yaml, 1e-3), so full fine-tuning takes a tenth of it. (The
  // official configs use one rate for both, 1e-5 / 2e-5, which is BLIP's own fine-tuning rate.)
  { id: 'full', label: 'full fine-tuning', petl: { method: 'full' }, lrScale: 0.1, trains: true },
];

/** The demo's own row. */
export const DEMO_METHOD: DemoMethod = DEMO_METHODS.find((m) => m.id === 'uniadapter')!;
