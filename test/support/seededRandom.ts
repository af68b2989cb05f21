/** A small seeded generator (mulberry32): a failing run is replayed from the seed it prints. */
export class SeededRandom {
  #state: number;

  readonly seed: number;

  constructor(seed: number) {
    this.seed = seed;
    this.#state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)] as T;
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }
}

/** The seed from LEASEHOLD_TEST_SEED, or a new one (printed by the test on failure). */
export function seedFromEnvironment(): number {
  const given = process.env.LEASEHOLD_TEST_SEED;
  return given ? Number(given) : Math.floor(Math.random() * 2 ** 31);
}
