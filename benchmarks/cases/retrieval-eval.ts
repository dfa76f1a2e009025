/**
 * (f) A full retrieval evaluation on a generated gallery: embed G images (batches of 16) and
 * 5·G texts (batches of 128), ITC similarities, the k-shortlists in both directions, ITM re-ranking
 * of their union (retrievalScoreMatrices, candidate keys/values shared), then R@K metrics. Pixel
 * generation is not timed. BLIP-base on 1000 images at 384 px is far too slow for 2 CPU cores, so the
 * 1k gallery runs the tiny configuration on the CPU (see benchmarks/plan.ts). It runs once, in the last
 * precision of the run, and extrapolates its time to a COCO-5k-shaped gallery (same k, same texts per
 * image): embedding and re-ranking grow linearly with the images (each image and each text brings
 * k candidates; the ITC similarity matrix inside the re-ranking phase is counted linearly too, a small
 * share), the metrics (sorting every row) quadratically.
 */
import { itmEval } from '../../lib/evaluation/metrics/retrieval-metrics';
import { Rng } from '../../lib/data/rng';
import { RetrievalModel } from '../../lib/model/retrieval-model';
import { retrievalScoreMatrices } from '../../lib/evaluation/retrieval/score-matrices';
import { concatRows, type HostTensor } from '../../lib/tensor';
import { benchModelConfig, describeConfig } from '../configs';
import type { BenchmarkCase } from '../context';
import { vitTokens } from '../flops';
import { randomPixels, textBatch } from '../inputs';
import { startGpuMemory } from '../gpu-memory';
import { startPeakRss } from '../memory';
import { makeResult } from '../measure';
import { latencyStats, nowMs } from '../timing';

const TEXT_BATCH = 128;

/** The retrieval-evaluation benchmark on a generated gallery. */
export const runRetrievalEval: BenchmarkCase = async (ctx) => {
  const { plan, options } = ctx;
  const e = plan.eval;
  const precision = options.precisions[options.precisions.length - 1];
  const model = await RetrievalModel.create(benchModelConfig(e.config, 'retrieval', { imageSize: e.imageSize, device: options.device, precision }));
  const config = model.config;
  try {
    const G = e.images;
    const Q = G * e.textsPerImage;
    const L = plan.textLength;
    const txt2img = Array.from({ length: Q }, (_, j) => Math.floor(j / e.textsPerImage));
    const img2txt = Array.from({ length: G }, (_, i) => Array.from({ length: e.textsPerImage }, (_, t) => i * e.textsPerImage + t));
    const phases = { embedImages: [] as number[], embedTexts: [] as number[], rerank: [] as number[], metrics: [] as number[] };
    let pairs = 0;
    let r1 = 0;
    const once = async (record: boolean) => {
      let t = 0;
      const tokens: HostTensor[] = [];
      const features: HostTensor[] = [];
      const frames: HostTensor[] = [];
      for (let i = 0; i < G; i += e.batch) {
        const px = randomPixels(new Rng(1000 + i), Math.min(e.batch, G - i), e.imageSize);
        const t0 = nowMs();
        const emb = await model.encodeImages(px, { tokens: true });
        t += nowMs() - t0;
        tokens.push(emb.tokens as HostTensor);
        features.push(emb.features);
        frames.push(emb.frameFeatures);
      }
      const tImages = t;
      const t1 = nowMs();
      const ids: HostTensor[] = [];
      const masks: HostTensor[] = [];
      const tfeat: HostTensor[] = [];
      for (let j = 0; j < Q; j += TEXT_BATCH) {
        const b = textBatch(Math.min(TEXT_BATCH, Q - j), L, config.tokens, j);
        const emb = await model.encodeTexts(b.inputIds, b.attentionMask);
        ids.push(b.inputIds);
        masks.push(b.attentionMask);
        tfeat.push(emb.features);
      }
      const t2 = nowMs();
      const scores = await retrievalScoreMatrices(
        model,
        { tokens: concatRows(tokens), features: concatRows(features), frameFeatures: concatRows(frames) },
        { inputIds: concatRows(ids), attentionMask: concatRows(masks), features: concatRows(tfeat) },
        { k: e.k, onProgress: (_done, all) => (pairs = all) }
      );
      const t3 = nowMs();
      const metrics = itmEval({ shape: [G, Q], data: scores.i2t }, { shape: [Q, G], data: scores.t2i }, txt2img, img2txt);
      const t4 = nowMs();
      r1 = metrics.txt_r1;
      if (record) {
        phases.embedImages.push(tImages);
        phases.embedTexts.push(t2 - t1);
        phases.rerank.push(t3 - t2);
        phases.metrics.push(t4 - t3);
      }
      return tImages + (t4 - t1);
    };
    for (let w = 0; w < e.warmup; w++) await once(false);
    const gpu = startGpuMemory(options.device);
    const probe = startPeakRss();
    const samples: number[] = [];
    for (let i = 0; i < e.iterations; i++) samples.push(await once(true));
    const memory = probe.stop();
    const gpuMemory = await gpu.stop();
    const med = (xs: number[]) => latencyStats(xs).medianMs / 1000;
    const growth = e.extrapolateToImages / G;
    const extrapolatedSeconds = growth * (med(phases.embedImages) + med(phases.embedTexts) + med(phases.rerank)) + growth * growth * med(phases.metrics);
    const result = makeResult(
      {
        id: 'retrieval-eval',
        benchmark: 'eval',
        title: `Retrieval evaluation, ${G} images × ${e.textsPerImage} texts, k=${e.k}${options.precisions.length > 1 ? ` (${precision})` : ''}`,
        config: {
          ...describeConfig(e.config, config),
          images: G,
          texts: Q,
          k: e.k,
          imageBatch: e.batch,
          textBatch: TEXT_BATCH,
          memoryTokens: vitTokens(config),
          extrapolatedTo: `${e.extrapolateToImages} images × ${e.textsPerImage} texts, k=${e.k}`,
          note: e.config === options.config ? 'same configuration as the rest of the run' : `the ${e.config} model: BLIP-base on this gallery is too slow for the machine`,
        },
        throughputUnit: 'images/s',
      },
      e,
      { latency: latencyStats(samples), memory, ...(gpuMemory ? { gpuMemory } : {}) },
      G,
      ctx.peakGflops,
      {
        embedImagesSeconds: med(phases.embedImages),
        embedTextsSeconds: med(phases.embedTexts),
        rerankSeconds: med(phases.rerank),
        metricsSeconds: med(phases.metrics),
        rerankPairs: pairs,
        rerankPairsPerSecond: pairs / med(phases.rerank),
        textR1: r1,
        extrapolatedImages: e.extrapolateToImages,
        extrapolatedSeconds,
      }
    );
    await ctx.compare(result, config, { kind: 'eval', params: { images: G, textsPerImage: e.textsPerImage, k: e.k, batch: e.batch, textBatch: TEXT_BATCH, length: L } });
    return [result];
  } finally {
    await model.dispose();
  }
};
