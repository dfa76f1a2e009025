/**
 * Retrieval queries over the demo's vocabulary (size × color × shape × position, 756 of them) in a
 * strided order so that neighbours differ: concurrent or batched queries then rarely share a shortlist.
 */
import { COLORS, POSITIONS, SHAPES, SIZES } from '../lib/tools/synthetic/vocab';

export function demoRetrievalQueries(): string[] {
  const all: string[] = [];
  for (const size of SIZES) for (const color of COLORS) for (const shape of SHAPES) for (const pos of POSITIONS) all.push(`a ${size} ${color} ${shape} in the ${pos}`);
  const stride = 331; // coprime with 756: visits every query once per cycle
  return all.map((_, i) => all[(i * stride) % all.length]);
}
