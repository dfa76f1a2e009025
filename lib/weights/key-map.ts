/**
 * State-dict key names: the mapping between Hugging Face `Salesforce/blip-*` names and the original
 * BLIP names (ARCHITECTURE_SPEC §12.4), and the folding of UniAdapter's aliases onto their canonical
 * names (§12.3). Everything is a table of name templates; the functions only apply the tables.
 *
 * Template syntax: `{i}` is a layer index; a template ending in `.` is a prefix and carries the rest of
 * the name (`weight`, `bias`, ...) over unchanged; any other template matches the whole name.
 */

/** Which naming scheme a set of checkpoint keys uses. */
export type Naming = 'original' | 'hf' | 'unknown';

/** Two templates naming the same tensor: the name uniadapter uses, and another spelling of it. */
interface NamePair {
  canonical: string;
  variant: string;
}

/** Original BLIP name (canonical) ⇄ Hugging Face name (variant). Only the vision tower is renamed. */
const HF_RENAMES: readonly NamePair[] = [
  { canonical: 'visual_encoder.cls_token', variant: 'vision_model.embeddings.class_embedding' },
  { canonical: 'visual_encoder.pos_embed', variant: 'vision_model.embeddings.position_embedding' },
  { canonical: 'visual_encoder.patch_embed.proj.', variant: 'vision_model.embeddings.patch_embedding.' },
  { canonical: 'visual_encoder.blocks.{i}.norm1.', variant: 'vision_model.encoder.layers.{i}.layer_norm1.' },
  { canonical: 'visual_encoder.blocks.{i}.attn.qkv.', variant: 'vision_model.encoder.layers.{i}.self_attn.qkv.' },
  { canonical: 'visual_encoder.blocks.{i}.attn.proj.', variant: 'vision_model.encoder.layers.{i}.self_attn.projection.' },
  { canonical: 'visual_encoder.blocks.{i}.norm2.', variant: 'vision_model.encoder.layers.{i}.layer_norm2.' },
  { canonical: 'visual_encoder.blocks.{i}.mlp.fc1.', variant: 'vision_model.encoder.layers.{i}.mlp.fc1.' },
  { canonical: 'visual_encoder.blocks.{i}.mlp.fc2.', variant: 'vision_model.encoder.layers.{i}.mlp.fc2.' },
  { canonical: 'visual_encoder.norm.', variant: 'vision_model.post_layernorm.' },
  { canonical: 'text_encoder.', variant: 'text_encoder.' },
  { canonical: 'text_decoder.', variant: 'text_decoder.' },
  { canonical: 'vision_proj.', variant: 'vision_proj.' },
  { canonical: 'text_proj.', variant: 'text_proj.' },
  { canonical: 'itm_head.', variant: 'itm_head.' },
];

/**
 * Original names that the renames above would carry over but that Hugging Face does not have: the
 * position_ids buffers (non-persistent in current HF) and UniAdapter's own tensors inside the text
 * towers. Checked before HF_RENAMES when going original → HF.
 */
const NOT_IN_HF: readonly RegExp[] = [
  /^(text_encoder|text_decoder\.bert)\.embeddings\.position_ids$/,
  /(^|\.)adapter\./,
  /(^|\.)video_(key|value)_adapter\./,
  /(^|\.)time_embed$/,
];

/** Canonical name ⇐ alias (variant) of the same shared or tied tensor. */
const ALIASES: readonly NamePair[] = [
  { variant: 'visual_encoder.adapters.{i}.', canonical: 'adapters.{i}.' },
  { variant: 'visual_encoder.blocks.{i}.adapter.', canonical: 'adapters.{i}.' },
  { variant: 'text_encoder.encoder.layer.{i}.adapter.', canonical: 'adapters.{i}.' },
  { variant: 'text_decoder.bert.encoder.layer.{i}.adapter.', canonical: 'adapters.{i}.' },
  { variant: 'visual_encoder_m.adapters.{i}.', canonical: 'adapters_m.{i}.' },
  { variant: 'visual_encoder_m.blocks.{i}.adapter.', canonical: 'adapters_m.{i}.' },
  { variant: 'text_encoder_m.encoder.layer.{i}.adapter.', canonical: 'adapters_m.{i}.' },
  {
    variant: 'text_decoder.cls.predictions.decoder.weight',
    canonical: 'text_decoder.bert.embeddings.word_embeddings.weight',
  },
  { variant: 'text_decoder.cls.predictions.decoder.bias', canonical: 'text_decoder.cls.predictions.bias' },
];

/** Key shapes that tell the two namings apart; names under `shared` are spelled the same in both. */
const NAMING_MARKERS: Readonly<Record<'hf' | 'original' | 'shared', RegExp>> = {
  hf: /^vision_model\./,
  original:
    /^((visual_encoder|visual_encoder_m|text_encoder_m|vision_proj_m|text_proj_m|adapters|adapters_m|adapters_dec)\.|(image_queue|text_queue|idx_queue|ptr_queue|queue_ptr|temp)$)/,
  shared: /^(text_encoder|text_decoder|vision_proj|text_proj|itm_head)\./,
};

/** A compiled template: matches a name and renders the matched parts into another template. */
class NameTemplate {
  private readonly pattern: RegExp;
  private readonly isPrefix: boolean;

  constructor(readonly text: string) {
    this.isPrefix = text.endsWith('.');
    const escaped = text
      .split('{i}')
      .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('(\\d+)');
    this.pattern = new RegExp(`^${escaped}${this.isPrefix ? '(.+)' : ''}$`);
  }

  /** The captured layer indices and trailing rest of `name`, or null if it does not match. */
  match(name: string): string[] | null {
    const m = this.pattern.exec(name);
    return m ? m.slice(1) : null;
  }

  /** This template with `{i}` and the rest filled from another template's match. */
  render(captures: string[]): string {
    let k = 0;
    const filled = this.text.replace(/\{i\}/g, () => captures[k++]);
    return this.isPrefix ? filled + captures[captures.length - 1] : filled;
  }
}

interface CompiledPair {
  canonical: NameTemplate;
  variant: NameTemplate;
}

const compile = (pairs: readonly NamePair[]): CompiledPair[] =>
  pairs.map((p) => ({ canonical: new NameTemplate(p.canonical), variant: new NameTemplate(p.variant) }));

const HF_RULES = compile(HF_RENAMES);
const ALIAS_RULES = compile(ALIASES);

/** Rewrites `name` with the first pair whose `from` side matches; null when none does. */
function rewrite(rules: CompiledPair[], name: string, from: keyof CompiledPair, to: keyof CompiledPair): string | null {
  for (const rule of rules) {
    const captures = rule[from].match(name);
    if (captures) return rule[to].render(captures);
  }
  return null;
}

/**
 * Tells which naming a checkpoint's keys use: 'hf' if there are `vision_model.*` keys and no key only
 * the original code writes, 'original' if there are original-only keys (or only keys that both namings
 * spell the same, where the two agree), 'unknown' if both kinds are mixed or no key is recognised.
 */
export function detectNaming(names: Iterable<string>): Naming {
  let hf = 0;
  let original = 0;
  let shared = 0;
  for (const name of names) {
    if (NAMING_MARKERS.hf.test(name)) hf++;
    else if (NAMING_MARKERS.original.test(name)) original++;
    else if (NAMING_MARKERS.shared.test(name)) shared++;
  }
  if (hf > 0 && original > 0) return 'unknown';
  if (hf > 0) return 'hf';
  if (original > 0 || shared > 0) return 'original';
  return 'unknown';
}

/**
 * The original BLIP name of checkpoint key `name` written in `naming`, or null when the key has no
 * original counterpart (an HF-only key). Original names are returned unchanged; with 'unknown', HF
 * vision names are renamed and every other name is kept.
 */
export function toOriginalName(name: string, naming: Naming): string | null {
  if (naming === 'original') return name;
  const renamed = rewrite(HF_RULES, name, 'variant', 'canonical');
  if (renamed !== null) return renamed;
  return naming === 'hf' ? null : name;
}

/**
 * The Hugging Face name of original key `name`, or null when HF has no such tensor (momentum copies,
 * queues, `temp`, position_ids buffers, UniAdapter tensors).
 */
export function toHfName(name: string): string | null {
  if (NOT_IN_HF.some((re) => re.test(name))) return null;
  return rewrite(HF_RULES, name, 'canonical', 'variant');
}

/**
 * The canonical name of an original key: UniAdapter's shared adapters are stored under every module
 * that uses them (`visual_encoder.blocks.{i}.adapter.*`, `text_encoder.encoder.layer.{i}.adapter.*`,
 * ...), and the LM head's decoder is tied to the word embeddings. Aliases fold onto `adapters.{i}.*`,
 * `adapters_m.{i}.*` and the tied tensors' first names, with `alias: true`; other names come back
 * unchanged with `alias: false`.
 */
export function canonicalName(name: string): { name: string; alias: boolean } {
  const canonical = rewrite(ALIAS_RULES, name, 'variant', 'canonical');
  return canonical === null ? { name, alias: false } : { name: canonical, alias: true };
}
