/**
 * A writer for the kill test: opens (or creates) a store and adds batches of small synthetic items,
 * printing "ack <first> <count>" after each add has returned, until killed.
 */
import { GalleryStore } from '../../lib/store/gallery-store';

async function main(): Promise<void> {
  const [dir, startArg] = process.argv.slice(2);
  const store = await GalleryStore.open(dir, { write: true });
  const E = store.manifest.embedDim;
  const V = store.manifest.frames * store.manifest.tokensPerFrame * store.manifest.width;
  let next = Number(startArg);
  for (;;) {
    const batch = Array.from({ length: 25 }, (_, i) => {
      const n = next + i;
      const f = Float32Array.from({ length: E }, (_, j) => Math.sin(n * 7 + j));
      const norm = Math.hypot(...f);
      f.forEach((x, j) => (f[j] = x / norm)); // the store takes L2-normalised ITC features
      return { id: `item-${n}`, features: f, tokens: Float32Array.from({ length: V }, (_, j) => n + j / V) };
    });
    await store.add(batch);
    process.stdout.write(`ack ${next} ${batch.length}\n`);
    next += batch.length;
  }
}

main().catch((e) => {
  process.stderr.write(String((e as Error).stack ?? e) + '\n');
  process.exit(1);
});
