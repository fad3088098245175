/** Seeded PRNG (sfc32): fast, 128-bit state, identical sequence for a seed on every platform. */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
}

export function rng(seed: number): Rng {
  let a = 0x9e3779b9;
  let b = 0x243f6a88;
  let c = 0xb7e15162;
  let d = seed >>> 0;
  const step = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  // Discard the first outputs so that nearby seeds diverge.
  for (let i = 0; i < 16; i++) step();
  return {
    next: () => step() / 4294967296,
    int: (n: number) => Math.floor((step() / 4294967296) * n),
  };
}
