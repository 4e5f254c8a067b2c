import type { Coordinator } from './coordinator.js';
import { sleep } from './sleep.js';

/**
 * What the holder's work says when it returns: it is over for good (the loop ends), or the loop
 * rests `restMs` (ended early by `wake`), renews the lease and runs the work again. A rest of 0
 * (the work was stopped, or lost the lease) goes straight back to the lease.
 */
export type HoldOutcome = 'over' | { restMs: number; wake?: AbortSignal };

/** The work a lease loop runs while this process holds the lease, and what it does while another process does. */
export interface LeaseWork {
  /** Goes on competing while true (asked before each attempt). */
  wanted(): boolean;
  /** Before each attempt to take or renew the lease, whether this process holds it or not. */
  beforeAttempt?(): void;
  /** After each attempt: whether this process holds the lease now (a local lease counts). */
  attempted?(held: boolean): void;
  /** Another process holds the lease: catch up on what it published, before the next attempt. */
  waiting(): Promise<void>;
  /**
   * This process holds the lease: work under it. `signal` aborts when the loop is stopped or the
   * lease is lost (another process won it at a renewal).
   */
  hold(signal: AbortSignal): Promise<HoldOutcome>;
}

/**
 * The retry of a process that does not hold a lease: a fifth of a lease, ±20 % so replicas that
 * started together spread out, so a lease handed back or expired is taken over well within a lease.
 */
function retryMs(leaseMs: number): number {
  return Math.max(50, Math.round((leaseMs / 5) * (0.8 + Math.random() * 0.4)));
}

/**
 * Competes for the lease `name` until `signal` aborts or `work` is no longer wanted, and runs the
 * work while this process holds it: how every poll loop (one batch, or a bulk refresh's list) is
 * shared between processes.
 *
 * - A lease that cannot be read (the coordinator rejects: Redis unreachable) is taken as a local
 *   lease: this process works anyway, so its subscribers keep getting states. Other cut-off
 *   replicas may do the same for a while; they converge at the first renewal after Redis is back.
 * - Held, the lease is renewed every third of a lease: by a timer while the work runs, by the next
 *   attempt after a rest (which lasts at most a third of a lease). A renewal another process wins
 *   aborts the work's signal and the loop goes straight back to the lease; a renewal that fails
 *   (Redis unreachable) keeps the local lease.
 * - When it ends, the loop releases the lease it holds (a local one too: Redis may be back).
 *
 * With a coordinator that is not shared (one process) the lease is always this process's: there is
 * nothing to renew or release, and a rest lasts as long as the work asks.
 */
export async function leaseLoop(
  coordinator: Coordinator,
  name: string,
  signal: AbortSignal,
  work: LeaseWork,
): Promise<void> {
  const { shared, leaseMs } = coordinator;
  let held = false;
  try {
    while (!signal.aborted && work.wanted()) {
      work.beforeAttempt?.();
      try {
        held = await coordinator.acquire(name);
      } catch {
        held = true;
      }
      if (signal.aborted) break;
      work.attempted?.(held);
      if (!held) {
        await work.waiting();
        await sleep(retryMs(leaseMs), signal);
        continue;
      }
      const lost = new AbortController();
      const renew = shared
        ? setInterval(
            () => {
              coordinator.acquire(name).then(
                (ok) => ok || lost.abort(),
                // Failures are reported by the coordinator; the work goes on under a local lease.
                () => {},
              );
            },
            Math.max(20, leaseMs / 3),
          )
        : undefined;
      let outcome: HoldOutcome;
      try {
        outcome = await work.hold(AbortSignal.any([signal, lost.signal]));
      } finally {
        if (renew) clearInterval(renew);
      }
      if (outcome === 'over') break;
      if (lost.signal.aborted) continue;
      const restMs = shared ? Math.min(outcome.restMs, leaseMs / 3) : outcome.restMs;
      if (restMs > 0) await sleep(restMs, signal, outcome.wake);
    }
  } finally {
    if (shared && held) await coordinator.release(name).catch(() => {});
  }
}
