// Seeded pseudo-random numbers so every benchmark run generates the same readings.

/** A function returning floats in [0, 1), reproducible from its seed. */
export type Random = () => number;

/** 32-bit hash of a list of integers (FNV-1a over their bytes), used to derive independent seeds. */
export function hashSeed(...parts: number[]): number {
  let hash = 0x811c9dc5;
  for (const part of parts) {
    let value = part >>> 0;
    for (let byte = 0; byte < 4; byte++) {
      hash ^= value & 0xff;
      hash = Math.imul(hash, 0x01000193);
      value >>>= 8;
    }
  }
  return hash >>> 0;
}

/** mulberry32: small, fast, good enough for synthetic data (not for anything secret). */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Uniform float in [min, max). */
export function between(random: Random, min: number, max: number): number {
  return min + (max - min) * random();
}

/** Approximately normal (sum of three uniforms), centred on mean with the given spread. */
export function around(random: Random, mean: number, spread: number): number {
  return mean + spread * (random() + random() + random() - 1.5) * 2;
}

/** One element, uniformly. */
export function pick<T>(random: Random, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)];
}
