import type { Batch, StaleReason } from '../domain/batch.js';
import type { CallContext } from '../upstream/call-context.js';

/**
 * The least time past its planned read before a read counts as overdue, however short its interval:
 * with a fast policy (tens of ms) an ordinary round trip, or a busy moment of the process, would
 * otherwise be one.
 */
export const OVERDUE_MIN_MS = 500;

/** How long past its planned time a read planned `intervalMs` apart may be before it is overdue. */
export function overdueAfter(intervalMs: number): number {
  return Math.max(intervalMs, OVERDUE_MIN_MS);
}

/**
 * Why a poll loop's overdue read has not arrived: while `busy` (its read is under way) and one of
 * its calls waits for the provider's request budget (`CallContext.budgetWaits`), `BUDGET_WAIT`;
 * otherwise `OVERDUE` (a slow provider, or the loop held up elsewhere).
 */
export function overdueReason(busy: boolean, ...contexts: readonly CallContext[]): StaleReason {
  return busy && contexts.some((c) => (c.budgetWaits ?? 0) > 0) ? 'BUDGET_WAIT' : 'OVERDUE';
}

/**
 * The state that tells subscribers their stream is overdue: `shown` (what they have) marked stale
 * for `reason`, with `next` as its next read (null: unknown). Undefined when there is nothing to
 * tell: no state yet, a terminal one, or the same mark already sent.
 */
export function overdueMark(shown: Batch | undefined, reason: StaleReason, next: Date | null): Batch | undefined {
  if (!shown || shown.isTerminal) return undefined;
  const sameNext = (shown.nextRefreshAt?.getTime() ?? null) === (next?.getTime() ?? null);
  if (shown.stale && shown.staleReason === reason && sameNext) return undefined;
  return { ...shown, stale: true, staleReason: reason, nextRefreshAt: next };
}

/**
 * One timer for one poll loop, however many subscribers it serves: `check` runs once `at` a
 * deadline has passed; `arm` moves the deadline (earlier or later) without a new timer per call
 * when it only moves later (the timer then finds it early, and waits for the rest). A deadline
 * found passed is looked at once more after the I/O already waiting (`setImmediate`): after a busy
 * moment of the process, an answer that arrived in time is taken in (and moves it) first.
 */
export class Deadline {
  private timer: NodeJS.Timeout | undefined;
  private firesAt = Number.POSITIVE_INFINITY;
  private at = Number.POSITIVE_INFINITY;

  constructor(private readonly check: () => void) {}

  /** The check is due at `at` (epoch ms; Infinity: never). */
  arm(at: number): void {
    this.at = at;
    if (!Number.isFinite(at)) return;
    // A pending timer that fires no later than the deadline is kept; it re-arms for the rest.
    if (this.timer && this.firesAt <= at) return;
    this.schedule(at);
  }

  /** Stops the timer (the loop ended). */
  clear(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.at = Number.POSITIVE_INFINITY;
  }

  private schedule(at: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.firesAt = at;
    this.timer = setTimeout(() => this.fire(), Math.max(1, at - Date.now()));
    this.timer.unref?.();
  }

  private fire(): void {
    this.timer = undefined;
    if (!Number.isFinite(this.at)) return;
    if (Date.now() < this.at) return this.schedule(this.at);
    setImmediate(() => {
      if (this.timer || !Number.isFinite(this.at)) return;
      if (Date.now() < this.at) return this.schedule(this.at);
      this.at = Number.POSITIVE_INFINITY;
      this.check();
    });
  }
}
