/** The simulators' notion of time: every simulated progress is a pure function of `now()`. */
export interface SimClock {
  now(): number;
}

/** A clock tests drive by hand. */
export interface ManualClock extends SimClock {
  advance(ms: number): void;
  set(ms: number): void;
}

/** Creates a clock that only moves when told to. */
export function createManualClock(startMs: number): ManualClock {
  let now = startMs;
  return {
    now: () => now,
    advance: (ms) => {
      now += ms;
    },
    set: (ms) => {
      now = ms;
    },
  };
}

/** The wall clock (the demo uses it so batches progress in real time). */
export function createSystemClock(): SimClock {
  return { now: () => Date.now() };
}

/** A clock that runs in real time from now, movable by hand: `advance` and `set` move it by an offset. */
export function createRealTimeClock(): ManualClock {
  let offset = 0;
  return {
    now: () => Date.now() + offset,
    advance: (ms) => {
      offset += ms;
    },
    set: (ms) => {
      offset = ms - Date.now();
    },
  };
}

/** A small seeded PRNG (mulberry32), so the same seed gives the same data set. */
export function createRandom(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)),
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!,
    hex: (n: number) => Array.from({ length: n }, () => Math.floor(next() * 16).toString(16)).join(''),
  };
}
