import * as path from 'path';
import { SafetensorsFile } from '../lib/io/safetensors';
import { tensorBytes } from '../lib/tensor';
import { canonicalName, detectNaming, toHfName, toOriginalName } from '../lib/weights/key-map';

const GOLDEN = path.resolve(__dirname, 'fixtures', 'golden-tiny');

async function namesOf(folder: string): Promise<string[]> {
  const st = await SafetensorsFile.open(path.join(GOLDEN, folder, 'weights.safetensors'));
  const names = st.names();
  await st.close();
  return names;
}

describe('original ⇄ Hugging Face names (ARCHITECTURE_SPEC §12.4)', () => {
  const pairs: Array<[string, string]> = [
    ['visual_encoder.cls_token', 'vision_model.embeddings.class_embedding'],
    ['visual_encoder.pos_embed', 'vision_model.embeddings.position_embedding'],
    ['visual_encoder.patch_embed.proj.weight', 'vision_model.embeddings.patch_embedding.weight'],
    ['visual_encoder.patch_embed.proj.bias', 'vision_model.embeddings.patch_embedding.bias'],
    ['visual_encoder.blocks.0.norm1.weight', 'vision_model.encoder.layers.0.layer_norm1.weight'],
    ['visual_encoder.blocks.11.norm1.bias', 'vision_model.encoder.layers.11.layer_norm1.bias'],
    ['visual_encoder.blocks.3.attn.qkv.weight', 'vision_model.encoder.layers.3.self_attn.qkv.weight'],
    ['visual_encoder.blocks.3.attn.qkv.bias', 'vision_model.encoder.layers.3.self_attn.qkv.bias'],
    ['visual_encoder.blocks.10.attn.proj.weight', 'vision_model.encoder.layers.10.self_attn.projection.weight'],
    ['visual_encoder.blocks.7.norm2.bias', 'vision_model.encoder.layers.7.layer_norm2.bias'],
    ['visual_encoder.blocks.2.mlp.fc1.weight', 'vision_model.encoder.layers.2.mlp.fc1.weight'],
    ['visual_encoder.blocks.2.mlp.fc2.bias', 'vision_model.encoder.layers.2.mlp.fc2.bias'],
    ['visual_encoder.norm.weight', 'vision_model.post_layernorm.weight'],
    ['visual_encoder.norm.bias', 'vision_model.post_layernorm.bias'],
    [
      'text_encoder.encoder.layer.5.crossattention.self.key.weight',
      'text_encoder.encoder.layer.5.crossattention.self.key.weight',
    ],
    ['text_encoder.embeddings.word_embeddings.weight', 'text_encoder.embeddings.word_embeddings.weight'],
    ['text_decoder.bert.encoder.layer.0.output.dense.bias', 'text_decoder.bert.encoder.layer.0.output.dense.bias'],
    ['text_decoder.cls.predictions.transform.LayerNorm.weight', 'text_decoder.cls.predictions.transform.LayerNorm.weight'],
    ['text_decoder.cls.predictions.decoder.weight', 'text_decoder.cls.predictions.decoder.weight'],
    ['vision_proj.weight', 'vision_proj.weight'],
    ['text_proj.bias', 'text_proj.bias'],
    ['itm_head.weight', 'itm_head.weight'],
  ];

  test.each(pairs)('%s ⇄ %s', (original, hf) => {
    expect(toHfName(original)).toBe(hf);
    expect(toOriginalName(hf, 'hf')).toBe(original);
    expect(toOriginalName(hf, 'unknown')).toBe(original);
    expect(toOriginalName(original, 'original')).toBe(original);
  });

  test.each([
    'text_encoder.embeddings.position_ids',
    'text_decoder.bert.embeddings.position_ids',
    'visual_encoder_m.blocks.0.norm1.weight',
    'text_encoder_m.encoder.layer.0.output.dense.weight',
    'vision_proj_m.weight',
    'text_proj_m.bias',
    'image_queue',
    'text_queue',
    'idx_queue',
    'ptr_queue',
    'temp',
    'adapters.0.down_proj.weight',
    'adapters_m.3.up_proj.bias',
    'visual_encoder.adapters.0.down_proj.weight',
    'visual_encoder.blocks.0.adapter.visual_up_proj.weight',
    'text_encoder.encoder.layer.1.adapter.up_proj.weight',
    'text_encoder.encoder.video_key_adapter.down_proj.weight',
    'text_decoder.bert.encoder.video_value_adapter.scale',
    'text_encoder.encoder.time_embed',
    'visual_encoder.blocks.0.attn.qkv',
  ])('%s has no Hugging Face counterpart', (original) => {
    expect(toHfName(original)).toBeNull();
  });

  test('HF-only names have no original counterpart', () => {
    expect(toOriginalName('logit_scale', 'hf')).toBeNull();
    expect(toOriginalName('text_model.embeddings.word_embeddings.weight', 'hf')).toBeNull();
    expect(toOriginalName('vision_model.pre_layrnorm.weight', 'hf')).toBeNull();
    expect(toOriginalName('logit_scale', 'unknown')).toBe('logit_scale');
  });

  test('every golden key that has an HF name maps back to itself', async () => {
    for (const folder of ['retrieval', 'vqa', 'caption']) {
      for (const name of await namesOf(folder)) {
        const hf = toHfName(name);
        if (hf !== null) expect(toOriginalName(hf, 'hf')).toBe(name);
      }
    }
  });
});

describe('detectNaming', () => {
  test('the golden files use original names', async () => {
    for (const folder of ['retrieval', 'vqa', 'caption']) expect(detectNaming(await namesOf(folder))).toBe('original');
  });

  test('their HF renaming is detected as HF', async () => {
    for (const folder of ['retrieval', 'vqa', 'caption']) {
      const hfNames = (await namesOf(folder)).map(toHfName).filter((n): n is string => n !== null);
      expect(detectNaming(hfNames)).toBe('hf');
    }
  });

  test('mixed, unrecognised and text-only sets', () => {
    expect(detectNaming(['vision_model.post_layernorm.weight', 'visual_encoder.norm.weight'])).toBe('unknown');
    expect(detectNaming(['fc.weight', 'fc.bias'])).toBe('unknown');
    expect(detectNaming([])).toBe('unknown');
    expect(detectNaming(['text_encoder.embeddings.word_embeddings.weight'])).toBe('original');
    expect(detectNaming(['temp', 'image_queue'])).toBe('original');
    expect(detectNaming(['vision_model.embeddings.class_embedding', 'text_encoder.pooler.dense.weight'])).toBe('hf');
  });
});

describe('canonicalName (UniAdapter aliases, ARCHITECTURE_SPEC §12.3)', () => {
  test.each([
    ['visual_encoder.adapters.3.down_proj.weight', 'adapters.3.down_proj.weight'],
    ['visual_encoder.blocks.11.adapter.adapter_layer_norm_before.bias', 'adapters.11.adapter_layer_norm_before.bias'],
    ['text_encoder.encoder.layer.0.adapter.multi_up_proj.weight', 'adapters.0.multi_up_proj.weight'],
    ['text_decoder.bert.encoder.layer.1.adapter.up_proj.bias', 'adapters.1.up_proj.bias'],
    ['visual_encoder_m.adapters.2.visual_up_proj.weight', 'adapters_m.2.visual_up_proj.weight'],
    ['visual_encoder_m.blocks.2.adapter.down_proj.bias', 'adapters_m.2.down_proj.bias'],
    ['text_encoder_m.encoder.layer.9.adapter.adapter_layer_norm_cross_modal.weight', 'adapters_m.9.adapter_layer_norm_cross_modal.weight'],
    ['text_decoder.cls.predictions.decoder.weight', 'text_decoder.bert.embeddings.word_embeddings.weight'],
    ['text_decoder.cls.predictions.decoder.bias', 'text_decoder.cls.predictions.bias'],
  ])('%s → %s', (alias, canonical) => {
    expect(canonicalName(alias)).toEqual({ name: canonical, alias: true });
  });

  test.each([
    'adapters.0.down_proj.weight',
    'adapters_m.0.down_proj.weight',
    'adapters_dec.0.down_proj.weight',
    'text_encoder.encoder.video_key_adapter.scale',
    'text_encoder_m.encoder.video_value_adapter.up_proj.weight',
    'text_decoder.bert.embeddings.word_embeddings.weight',
    'text_decoder.cls.predictions.bias',
    'visual_encoder.blocks.0.attn.qkv.weight',
  ])('%s is canonical', (name) => {
    expect(canonicalName(name)).toEqual({ name, alias: false });
  });

  test.each(['retrieval', 'vqa', 'caption'])(
    '%s: every alias names a tensor of the file with exactly the same bytes',
    async (folder) => {
      const st = await SafetensorsFile.open(path.join(GOLDEN, folder, 'weights.safetensors'));
      try {
        const names = new Set(st.names());
        let aliases = 0;
        for (const name of names) {
          const c = canonicalName(name);
          if (!c.alias) continue;
          aliases++;
          expect(names.has(c.name)).toBe(true);
          const a = Buffer.from(tensorBytes(await st.read(name)));
          const b = Buffer.from(tensorBytes(await st.read(c.name)));
          if (!a.equals(b)) throw new Error(`${folder}: '${name}' differs from its canonical '${c.name}'`);
        }
        expect(aliases).toBeGreaterThan(0);
      } finally {
        await st.close();
      }
    }
  );
});
