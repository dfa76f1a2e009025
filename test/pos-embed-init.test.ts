/** posEmbedInit: BLIP's small random position embeddings, or MAE's 2-D sine-cosine table. */
import { createModel } from '../lib/model/create-model';
import type { ModelConfig } from '../lib/config/model-config';
import { tinyConfig } from './helpers/tiny-models';

// 48-pixel images of 16-pixel patches: a 3×3 grid, width 32 (four quarters of 8 channels).
const grid3 = (overrides: Partial<ModelConfig> = {}): ModelConfig =>
  tinyConfig('retrieval', {
    vision: { imageSize: 48, patchSize: 16, width: 32, depth: 2, heads: 2, mlpHidden: 64 },
    momentumSharesBackbone: false,
    ...overrides,
  });

async function tensors(config: ModelConfig, names: string[]): Promise<Record<string, Float32Array>> {
  const model = await createModel(config);
  try {
    const state = await model.stateDict('all', names);
    return Object.fromEntries(names.map((n) => [n, state[n].data as Float32Array]));
  } finally {
    await model.dispose();
  }
}

/** The table written out from its definition: column in the first half of the channels, row in the second. */
function expectedTable(grid: number, width: number): number[][] {
  const quarter = width / 4;
  const code = (p: number) => [
    ...Array.from({ length: quarter }, (_, k) => Math.sin(p / 10000 ** (k / quarter))),
    ...Array.from({ length: quarter }, (_, k) => Math.cos(p / 10000 ** (k / quarter))),
  ];
  const rows: number[][] = [];
  for (let r = 0; r < grid; r++) for (let c = 0; c < grid; c++) rows.push([...code(c), ...code(r)]);
  return rows;
}

describe('posEmbedInit', () => {
  it("'sincos' writes MAE's table into the patch rows and zeros into the [CLS] row, and the momentum copy starts equal", async () => {
    const t = await tensors(grid3({ posEmbedInit: 'sincos' }), ['visual_encoder.pos_embed', 'visual_encoder_m.pos_embed']);
    const pos = t['visual_encoder.pos_embed'];
    expect(pos.length).toBe(10 * 32);
    expect(Array.from(pos.subarray(0, 32))).toEqual(new Array(32).fill(0));
    const want = expectedTable(3, 32);
    let worst = { err: 0, at: '' };
    want.forEach((row, p) =>
      row.forEach((v, k) => {
        const err = Math.abs(pos[(p + 1) * 32 + k] - v);
        if (err > worst.err) worst = { err, at: `patch ${p} channel ${k}: ${pos[(p + 1) * 32 + k]} vs ${v}` };
      })
    );
    expect(worst.err < 1e-6 ? 'ok' : worst.at).toBe('ok');
    expect(Array.from(t['visual_encoder_m.pos_embed'])).toEqual(Array.from(pos));
  });

  it("changes nothing else: the other initial values are BLIP's, draw for draw", async () => {
    const names = ['visual_encoder.cls_token', 'visual_encoder.patch_embed.proj.weight', 'text_encoder.embeddings.word_embeddings.weight', 'vision_proj.weight'];
    const blip = await tensors(grid3(), [...names, 'visual_encoder.pos_embed']);
    const sincos = await tensors(grid3({ posEmbedInit: 'sincos' }), names);
    for (const n of names) expect({ n, same: Buffer.compare(Buffer.from(blip[n].buffer), Buffer.from(sincos[n].buffer)) }).toEqual({ n, same: 0 });
    const sd = Math.sqrt(blip['visual_encoder.pos_embed'].reduce((s, x) => s + x * x, 0) / blip['visual_encoder.pos_embed'].length);
    expect(sd).toBeGreaterThan(0.01);
    expect(sd).toBeLessThan(0.04);
  });

  it("defaults to 'blip' and is reported in the resolved configuration", async () => {
    const model = await createModel(grid3());
    try {
      expect(model.config.posEmbedInit).toBe('blip');
    } finally {
      await model.dispose();
    }
  });

  it('rejects an unknown scheme, and a width the table cannot split into four', async () => {
    await expect(createModel(grid3({ posEmbedInit: 'fourier' as 'sincos' }))).rejects.toMatchObject({
      code: 'ERR_CONFIG',
      message: expect.stringContaining("posEmbedInit must be 'blip' or 'sincos'"),
    });
    const odd = grid3({ posEmbedInit: 'sincos', vision: { imageSize: 48, patchSize: 16, width: 30, depth: 2, heads: 2, mlpHidden: 64 } });
    await expect(createModel(odd)).rejects.toMatchObject({ code: 'ERR_CONFIG', message: expect.stringMatching(/multiple of 4, got 30/) });
  });
});
