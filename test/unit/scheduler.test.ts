import { describe, expect, it } from 'vitest';
import { PollScheduler } from '../../src/live/scheduler.js';

describe('PollScheduler', () => {
  it('keeps every interval at its policy while the budget covers them all', () => {
    // 140 background calls a minute; 2 batches polled every 2 s need 60.
    const s = new PollScheduler(() => 140 / 60_000);
    const a = {};
    const b = {};
    expect(s.plan(a, 1, 2_000)).toBe(2_000);
    expect(s.plan(b, 1, 2_000)).toBe(2_000);
    expect(s.stretch()).toBe(1);
  });

  it('stretches every interval by the same factor when they need more than the budget', () => {
    const s = new PollScheduler(() => 140 / 60_000);
    const units = Array.from({ length: 40 }, () => ({}));
    for (const u of units) s.plan(u, 1, 2_000);
    // 40 every 2 s is 1,200 a minute: 1200/140 ≈ 8.57 times too many.
    const intervals = units.map((u) => s.plan(u, 1, 2_000));
    expect(new Set(intervals).size).toBe(1);
    expect(intervals[0]).toBe(Math.round(2_000 * (1_200 / 140)));
    // A bulk unit counts its calls per interval, however many batches it covers.
    const walk = {};
    s.plan(walk, 2, 2_000);
    expect(s.stretch()).toBeCloseTo((1_200 + 60) / 140, 5);
    // Units that stop polling give their share back.
    for (const u of units) s.forget(u);
    expect(s.plan(walk, 2, 2_000)).toBe(2_000);
    expect(s.units).toBe(1);
  });

  it('never stretches without a limit', () => {
    const s = new PollScheduler(() => Number.POSITIVE_INFINITY);
    for (let i = 0; i < 1_000; i++) s.plan({}, 1, 40);
    expect(s.stretch()).toBe(1);
  });
});
