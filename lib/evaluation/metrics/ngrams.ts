/**
 * N-gram counting over whitespace-tokenised sentences, shared by BLEU and CIDEr-D.
 */

/** Splits like Python's `str.split()`: on runs of whitespace, ignoring leading and trailing whitespace. */
export function splitTokens(s: string): string[] {
  const t = s.trim();
  return t.length === 0 ? [] : t.split(/\s+/);
}

/**
 * Counts the 1..n-grams of a token list. `counts[k - 1]` maps each k-gram, written as its tokens
 * joined by one space, to its number of occurrences. Tokens hold no whitespace, so a k-gram key has
 * exactly k - 1 spaces and keys of different orders never collide.
 */
export function ngramCounts(tokens: readonly string[], n: number): Map<string, number>[] {
  const counts: Map<string, number>[] = [];
  for (let k = 1; k <= n; k++) {
    const m = new Map<string, number>();
    for (let i = 0; i + k <= tokens.length; i++) {
      const key = tokens.slice(i, i + k).join(' ');
      m.set(key, (m.get(key) ?? 0) + 1);
    }
    counts.push(m);
  }
  return counts;
}
