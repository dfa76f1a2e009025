/**
 * (g) The data path: images per second for decode (sharp) + BLIP's test transform (PIL-exact
 * bicubic resize to 384) with N concurrent workers, and videos per second for N uniformly sampled
 * frames (one ffmpeg process per clip) + the clip test transform, with 8 and 16 frames.
 * One iteration processes every file once.
 */
import { MediaLoader } from '../../lib/data/media/media-loader';
import type { BenchmarkCase } from '../context';
import { writeClips, writeJpegs } from '../media-fixtures';
import { makeResult, measure } from '../measure';
import { nowMs } from '../timing';
import type { BenchResult } from '../types';

/** Runs `work` over every item with `workers` concurrent loops; returns per-item latencies (ms). */
async function pool<T>(items: readonly T[], workers: number, work: (item: T) => Promise<unknown>): Promise<number[]> {
  let next = 0;
  const latencies: number[] = [];
  const loop = async () => {
    while (next < items.length) {
      const item = items[next++];
      const t0 = nowMs();
      await work(item);
      latencies.push(nowMs() - t0);
    }
  };
  await Promise.all(Array.from({ length: Math.min(workers, items.length) }, loop));
  return latencies;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : 0;
}

/** The image and video data-path benchmarks. */
export const runDataPath: BenchmarkCase = async (ctx) => {
  const d = ctx.plan.data;
  const out: BenchResult[] = [];
  const images = await writeJpegs(ctx.tmpDir, d.images);
  const loader = new MediaLoader({ size: d.imageSize, frames: 16, augment: false });
  for (const workers of d.workers) {
    let perItem: number[] = [];
    const timed = await measure(async () => {
      perItem = await pool(images, workers, (f) => loader.image(f, 0));
    }, d);
    out.push(
      makeResult(
        {
          id: `data-images-w${workers}`,
          benchmark: 'data',
          title: `Image decode + test transform ${d.imageSize} px, ${workers} worker${workers > 1 ? 's' : ''}`,
          config: { images: d.images, source: 'JPEG 640×480 q90', transform: `decode (sharp) + bicubic resize to ${d.imageSize}×${d.imageSize} (PIL-exact, native)`, workers },
          throughputUnit: 'images/s',
        },
        d,
        timed,
        d.images,
        ctx.peakGflops,
        { perImageMedianMs: median(perItem) }
      )
    );
  }
  const seconds = ctx.options.quick ? 2 : 4;
  const clips = await writeClips(ctx.tmpDir, d.clips, seconds, ctx.options.quick ? 320 : 640, ctx.options.quick ? 240 : 360);
  for (const frames of d.frames) {
    const videoLoader = new MediaLoader({ size: d.videoSize, frames, augment: false });
    for (const workers of d.videoWorkers) {
      let perItem: number[] = [];
      const timed = await measure(async () => {
        perItem = await pool(clips, workers, (f) => videoLoader.video(f, 0));
      }, d);
      out.push(
        makeResult(
          {
            id: `data-video-${frames}f-w${workers}`,
            benchmark: 'data',
            title: `Video ${frames} frames → ${d.videoSize} px, ${workers} worker${workers > 1 ? 's' : ''}`,
            config: {
              clips: d.clips,
              source: `H.264 ${ctx.options.quick ? '320×240' : '640×360'}, 25 fps, ${seconds} s`,
              transform: `${frames} uniformly sampled frames (one ffmpeg process) + resize to ${d.videoSize}×${d.videoSize}`,
              frames,
              workers,
            },
            throughputUnit: 'videos/s',
          },
          d,
          timed,
          d.clips,
          ctx.peakGflops,
          { perVideoMedianMs: median(perItem) }
        )
      );
    }
  }
  return out;
};
