/** mulberry32: a small seeded PRNG, so that a fuzz run is reproducible from its seed. */
export function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(items: ArrayLike<T>): T => items[int(items.length)]!;
  return { next, int, pick, chance: (p: number) => next() < p };
}

/** A seeded random source. */
export type Rng = ReturnType<typeof prng>;
