import { afterEach, describe, expect, it, vi } from 'vitest';
import { longTimeout, MAX_TIMER_MS } from '../../src/config/long-timeout.js';

afterEach(() => vi.useRealTimers());

describe('longTimeout', () => {
  it('waits past Node’s timer limit instead of firing at once (a token valid for 30 days)', () => {
    vi.useFakeTimers();
    let fired = 0;
    longTimeout(() => fired++, 30 * 86_400_000);
    vi.advanceTimersByTime(MAX_TIMER_MS);
    expect(fired).toBe(0);
    vi.advanceTimersByTime(30 * 86_400_000 - MAX_TIMER_MS);
    expect(fired).toBe(1);
  });

  it('fires a short or past delay, and never after clear', () => {
    vi.useFakeTimers();
    let fired = 0;
    longTimeout(() => fired++, -5);
    const cleared = longTimeout(() => fired++, 1_000);
    cleared.clear();
    vi.advanceTimersByTime(2_000);
    expect(fired).toBe(1);
  });
});
