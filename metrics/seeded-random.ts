/**
 * mulberry32, a small deterministic PRNG (public domain, 32-bit state): the same seed gives the
 * same sequence on every machine. The CI gate's bootstrap uses it so its intervals repeat, and the
 * fuzzer so a failure's printed seed replays it. Written out because it is six lines and a
 * dependency would add nothing but a download.
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
