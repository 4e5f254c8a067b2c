import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createMemoryCoordinator, type Coordinator } from '../../src/live/coordinator.js';
import { leaseLoop, type HoldOutcome } from '../../src/live/lease-loop.js';

const LEASE_MS = 300;

/** A shared coordinator recording lease calls (with the fake clock's time); `acquire` answers from `grant`. */
function recording(grant: () => Promise<boolean>, shared = true) {
  const calls: string[] = [];
  const coordinator: Coordinator = {
    ...createMemoryCoordinator('test'),
    shared,
    leaseMs: shared ? LEASE_MS : Number.POSITIVE_INFINITY,
    acquire: async () => (calls.push(`acquire@${Date.now()}`), grant()),
    release: async () => void calls.push(`release@${Date.now()}`),
  };
  return { coordinator, calls };
}

/** Work that holds until its signal aborts or `outcome` is resolved, counting its calls. */
function work(outcome: () => Promise<HoldOutcome> | undefined = () => undefined) {
  const seen = { holds: 0, waits: 0, attempts: [] as boolean[], lost: 0 };
  return {
    seen,
    wanted: () => true,
    attempted: (held: boolean) => void seen.attempts.push(held),
    waiting: async () => void seen.waits++,
    hold: (signal: AbortSignal) => {
      seen.holds++;
      return (
        outcome() ??
        new Promise<HoldOutcome>((resolve) =>
          signal.addEventListener('abort', () => (seen.lost++, resolve({ restMs: 0 })), { once: true }),
        )
      );
    },
  };
}

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('leaseLoop', () => {
  it('renews a held lease every third of a lease while the work runs, and releases it when stopped', async () => {
    const { coordinator, calls } = recording(async () => true);
    const stop = new AbortController();
    const w = work();
    const loop = leaseLoop(coordinator, 'k', stop.signal, w);
    await vi.advanceTimersByTimeAsync(LEASE_MS + 10);
    stop.abort();
    await loop;
    expect(calls).toEqual(['acquire@0', 'acquire@100', 'acquire@200', 'acquire@300', `release@${LEASE_MS + 10}`]);
    expect(w.seen.holds).toBe(1);
  });

  it('works under a local lease when the lease cannot be read, and still releases it', async () => {
    const { coordinator, calls } = recording(() => Promise.reject(new Error('Redis unreachable')));
    const stop = new AbortController();
    const w = work();
    const loop = leaseLoop(coordinator, 'k', stop.signal, w);
    await vi.advanceTimersByTimeAsync(250);
    expect(w.seen).toMatchObject({ holds: 1, attempts: [true], lost: 0 });
    stop.abort();
    await loop;
    expect(calls.at(-1)).toBe('release@250');
  });

  it('leaves the work when another process wins a renewal, and goes straight back to the lease', async () => {
    let grant = true;
    const { coordinator, calls } = recording(async () => grant);
    const stop = new AbortController();
    const w = work();
    const loop = leaseLoop(coordinator, 'k', stop.signal, w);
    await vi.advanceTimersByTimeAsync(50);
    grant = false;
    await vi.advanceTimersByTimeAsync(60);
    // The renewal at 100 ms lost: the work stopped and the loop asked again at once, then waits.
    expect(w.seen).toMatchObject({ holds: 1, lost: 1, attempts: [true, false], waits: 1 });
    expect(calls).toEqual(['acquire@0', 'acquire@100', 'acquire@100']);
    // Retries every fifth of a lease, ±20 %.
    await vi.advanceTimersByTimeAsync(100);
    const retry = Number(calls[3]!.slice('acquire@'.length)) - 100;
    expect(retry).toBeGreaterThanOrEqual(48);
    expect(retry).toBeLessThanOrEqual(72);
    stop.abort();
    await loop;
    expect(calls.filter((c) => c.startsWith('release'))).toEqual([]);
  });

  it('rests at most a third of a lease between rounds, renewing at the next attempt; releases when over', async () => {
    const { coordinator, calls } = recording(async () => true);
    let rounds = 0;
    const w = work(async () => (++rounds === 3 ? 'over' : { restMs: 10_000 }));
    const loop = leaseLoop(coordinator, 'k', new AbortController().signal, w);
    await vi.advanceTimersByTimeAsync(200);
    await loop;
    expect(calls).toEqual(['acquire@0', 'acquire@100', 'acquire@200', 'release@200']);
  });

  it('ends a rest early when the work wakes it', async () => {
    const { coordinator, calls } = recording(async () => true);
    const wake = new AbortController();
    let rounds = 0;
    const w = work(async () => (++rounds === 2 ? 'over' : { restMs: 50, wake: wake.signal }));
    const loop = leaseLoop(coordinator, 'k', new AbortController().signal, w);
    await vi.advanceTimersByTimeAsync(10);
    wake.abort();
    await loop;
    expect(calls).toEqual(['acquire@0', 'acquire@10', 'release@10']);
  });

  it('without a shared coordinator: no renewal, rests as long as asked, nothing to release', async () => {
    const { coordinator, calls } = recording(async () => true, false);
    let rounds = 0;
    const w = work(async () => (++rounds === 2 ? 'over' : { restMs: 1_000 }));
    const loop = leaseLoop(coordinator, 'k', new AbortController().signal, w);
    await vi.advanceTimersByTimeAsync(1_000);
    await loop;
    expect(calls).toEqual(['acquire@0', 'acquire@1000']);
  });
});
