import { FINISHED_STATUSES, type Batch } from '../domain/batch.js';

/** How often the poll hub reads a watched batch (all in milliseconds). */
export interface PollPolicy {
  /** While the batch runs. */
  runningMs: number;
  /** First interval while queued or unchanged; doubles per unchanged poll up to `idleMaxMs`. */
  idleMs: number;
  idleMaxMs: number;
  /** A finished batch whose pending records still wait (not terminal yet) changes slowly. */
  pendingMs: number;
  /** After a failed poll; doubles per consecutive failure up to `errorMaxMs`, or Retry-After (capped). */
  errorMs: number;
  errorMaxMs: number;
  /**
   * A background watch (`background.ts`) is read no more often than this while it runs or waits (failures and
   * pending records keep their own, longer intervals).
   */
  backgroundMs: number;
  /** ± fraction of random jitter, so loops never run in lockstep. */
  jitter: number;
}

/**
 * The policy's jitter, ±20 %: the one part of it that is no setting (the intervals are `LIVE_POLL_*`, whose
 * defaults are `liveSettings`').
 */
export const POLL_JITTER = 0.2;

/** What the loop knows when choosing its next sleep. */
export interface PollState {
  batch: Batch | undefined;
  /** Consecutive polls without a change. */
  unchanged: number;
  /** Consecutive failed polls. */
  failures: number;
  /** Retry-After of the last failure, if the provider gave one. */
  retryAfterMs?: number;
}

/**
 * The next sleep: fast while running, backing off while idle, slow while pending records wait; a `background`
 * watch never faster than `backgroundMs`.
 */
export function nextDelay(
  policy: PollPolicy,
  state: PollState,
  random: () => number = Math.random,
  background = false,
): number {
  let base: number;
  if (state.failures > 0) {
    const backoff = Math.min(policy.errorMaxMs, policy.errorMs * 2 ** (state.failures - 1));
    base =
      state.retryAfterMs !== undefined ? Math.min(policy.errorMaxMs, Math.max(backoff, state.retryAfterMs)) : backoff;
    // Retry-After is a floor: no negative jitter below it.
    if (state.retryAfterMs !== undefined) return Math.round(base * (1 + random() * policy.jitter));
  } else if (state.batch?.status === 'RUNNING') {
    base = policy.runningMs;
  } else if (state.batch && FINISHED_STATUSES.has(state.batch.status) && !state.batch.isTerminal) {
    // Finished but not terminal: a batch whose pending records wait for dependencies.
    base = policy.pendingMs;
  } else {
    base = Math.min(policy.idleMaxMs, policy.idleMs * 2 ** Math.min(state.unchanged, 16));
  }
  if (background) base = Math.max(base, policy.backgroundMs);
  return Math.max(1, Math.round(base * (1 + (random() * 2 - 1) * policy.jitter)));
}
