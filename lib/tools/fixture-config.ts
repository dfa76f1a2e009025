/**
 * Reads the configuration format of the golden fixture sets (config.json written by the harness that
 * ran the official code) into a ModelConfig, whatever its sizes.
 */
import { UniAdapterError } from '../errors';
import type { ModelConfig, Modality, Task } from '../config/model-config';

/** The kinds of case a fixture set holds (see its README). */
export type FixtureCaseKind = 'retrieval' | 'retrieval-video' | 'train-step' | 'train-step-video' | 'vqa' | 'caption';

type Json = Record<string, any>;

function need(obj: Json, key: string, where: string): any {
  if (obj == null || !(key in obj)) throw new UniAdapterError('ERR_CONFIG', `fixture config: '${where}.${key}' is missing`);
  return obj[key];
}

export function fixtureCaseKind(config: Json): FixtureCaseKind {
  const video = (config.train_step?.modality ?? config.flags?.modality) === 'video';
  if (config.train_step) return video ? 'train-step-video' : 'train-step';
  if (config.prompt !== undefined) return 'caption';
  if (config.question !== undefined) return 'vqa';
  if (config.flags) return video ? 'retrieval-video' : 'retrieval';
  throw new UniAdapterError('ERR_CONFIG', 'fixture config: cannot tell which kind of case this is');
}

export function fixtureTask(kind: FixtureCaseKind): Task {
  if (kind === 'vqa') return 'vqa';
  if (kind === 'caption') return 'caption';
  return 'retrieval';
}

export function modelConfigFromFixture(config: Json): ModelConfig {
  const kind = fixtureCaseKind(config);
  const task = fixtureTask(kind);
  const v = need(config, 'vision', 'config');
  const t = need(config, 'text', 'config');
  const flags: Json = config.flags ?? {};
  const special: Json = need(t, 'special_token_ids', 'text');
  const adapter: Json | undefined = config.adapter;
  const modalities: Modality[] = [];
  if (flags.adapter_visual) modalities.push('visual');
  if (flags.adapter_textual) modalities.push('textual');
  if (flags.adapter_multimodal) modalities.push('multimodal');
  const text = {
    vocabSize: need(t, 'vocab_size', 'text'),
    hidden: need(t, 'hidden', 'text'),
    layers: need(t, 'layers', 'text'),
    heads: need(t, 'heads', 'text'),
    intermediate: need(t, 'intermediate', 'text'),
    maxPosition: need(t, 'max_position', 'text'),
    lnEps: t.ln_eps ?? 1e-12,
    encoderWidth: t.encoder_width ?? v.width,
  };
  return {
    task,
    vision: {
      imageSize: need(v, 'image_size', 'vision'),
      patchSize: need(v, 'patch_size', 'vision'),
      inChans: v.in_chans ?? 3,
      width: need(v, 'width', 'vision'),
      depth: need(v, 'depth', 'vision'),
      heads: need(v, 'heads', 'vision'),
      mlpHidden: v.mlp_hidden ?? Math.round(v.width * (v.mlp_ratio ?? 4)),
      qkvBias: v.qkv_bias ?? true,
      lnEps: v.ln_eps ?? 1e-6,
      dropPath: flags.vit_drop_path_rate ?? 0,
    },
    text,
    decoder: { ...text, encoderWidth: task === 'vqa' ? text.hidden : v.width },
    petl: adapter
      ? {
          method: 'uniadapter',
          bottleneck: adapter.bottleneck ?? flags.adapter_dim ?? flags.adapter_visual_dim,
          scale: adapter.scale ?? 0.1,
          share: 'down',
          queryResidual: true,
          modalities,
          init: task === 'vqa' ? 'code-vqa' : 'code-retrieval',
          kvAdapter: !!flags.video_key_adapter,
          kvBottleneck: flags.video_key_adapter_dim ?? adapter.lora_bottleneck ?? 64,
          pfa: 'code',
          // The fixtures give gradients of every adapter tensor, the cross-modal LayerNorm included.
          trainableRule: 'corrected',
        }
      : { method: 'none', kvAdapter: false },
    embedDim: config.embed_dim ?? 256,
    queueSize: flags.queue_size ?? config.train_step?.queue_size ?? 57600,
    momentum: flags.momentum ?? 0.995,
    momentumUpdate: 'official',
    // The fixture's momentum model has its own weights.
    momentumSharesBackbone: false,
    negativeAllRank: !!(config.train_step?.negative_all_rank ?? flags.negative_all_rank),
    tokens: {
      enc: need(special, 'enc', 'text.special_token_ids'),
      bos: special.bos ?? special.dec,
      sep: need(special, 'sep', 'text.special_token_ids'),
      pad: need(special, 'pad', 'text.special_token_ids'),
      cls: need(special, 'cls', 'text.special_token_ids'),
    },
    labelSmoothing: 0.1,
    seed: config.model_seed ?? 0,
    device: 'cpu',
    precision: 'fp32',
  };
}
