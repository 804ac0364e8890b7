/**
 * The fuzzer's deterministic cases: the same seed gives the same cases on every machine, so a
 * failure's printed seed replays it (metrics/seeded-random.ts: mulberry32).
 */
import { mulberry32 } from '../../metrics/seeded-random.ts';

export { mulberry32 };

/** The seed of case `index` of a run seeded with `base`: each case stands alone, so one can be replayed by itself. */
export function caseSeed(base: number, index: number): number {
  return (base ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0;
}

export function hex(seed: number): string {
  return '0x' + (seed >>> 0).toString(16).padStart(8, '0');
}

export class SeededRandom {
  private readonly next: () => number;
  constructor(readonly seed: number) {
    this.next = mulberry32(seed);
  }

  float(): number {
    return this.next();
  }

  /** An integer from min to max, both included. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)]!;
  }

  /** One of `choices`, each as likely as its weight. */
  weighted<T>(choices: readonly (readonly [number, T])[]): T {
    const total = choices.reduce((sum, [weight]) => sum + weight, 0);
    let roll = this.next() * total;
    for (const [weight, value] of choices) {
      roll -= weight;
      if (roll < 0) return value;
    }
    return choices.at(-1)![1];
  }

  bytes(length: number): Buffer {
    const out = Buffer.alloc(length);
    for (let i = 0; i < length; i++) out[i] = this.int(0, 255);
    return out;
  }

  string(alphabet: string, length: number): string {
    let out = '';
    for (let i = 0; i < length; i++) out += alphabet[this.int(0, alphabet.length - 1)];
    return out;
  }

  /** A length that is usually small and sometimes large: most bugs hide at the edges. */
  length(max: number): number {
    return this.weighted([
      [6, this.int(0, 8)],
      [3, this.int(0, 200)],
      [1, this.int(0, max)],
    ]);
  }
}
