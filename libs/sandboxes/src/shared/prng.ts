/**
 * Seeded pseudo-random numbers for fault injection and generated identifiers.
 *
 * Why not Math.random: the issue requires that the same seed gives the same fault sequence, so a
 * flaky-looking test can be replayed exactly. mulberry32 is tiny and fast; statistical quality is
 * ample for sampling error rates, and nothing here needs cryptographic strength.
 */
export class Prng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Integer in [min, max] inclusive. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** Standard normal sample (Box-Muller), for `{mean, stddev}` latency distributions. */
  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
}

/**
 * Derives an independent stream seed from a base seed and a label (FNV-1a over the label), so each
 * route gets its own reproducible fault sequence regardless of how requests to other routes interleave.
 */
export function deriveSeed(seed: number, label: string): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}
