/** The longest delay Node's timers take (2^31 − 1 ms, about 24.8 days); a longer one fires at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A timer that may be longer than Node's limit. */
export interface LongTimeout {
  clear(): void;
}

/**
 * Runs `run` after `ms`, however long: a delay past Node's timer limit is waited for in steps (Node would
 * otherwise fire it at once, with a `TimeoutOverflowWarning`). Unref'd: it never keeps the process alive.
 */
export function longTimeout(run: () => void, ms: number): LongTimeout {
  const due = Date.now() + Math.max(0, ms);
  let timer: ReturnType<typeof setTimeout>;
  const arm = () => {
    const left = due - Date.now();
    timer = setTimeout(left > MAX_TIMER_MS ? arm : run, Math.min(Math.max(0, left), MAX_TIMER_MS));
    timer.unref?.();
  };
  arm();
  return { clear: () => clearTimeout(timer) };
}
