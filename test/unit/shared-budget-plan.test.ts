import { describe, expect, it } from 'vitest';
import { blockSize, localShare, planSharedWindow } from '../../src/upstream/budget/shared-budget.js';

describe('how a window is split for the shared budget', () => {
  it("splits Check's Pro plan (200/min) into 15 s sub-windows of 40 calls, 28 of them polling's", () => {
    expect(planSharedWindow({ limit: 200, windowMs: 60_000 }, 0.3)).toEqual({
      windowMs: 60_000,
      subWindowMs: 15_000,
      points: 40,
      backgroundPoints: 28,
      interactivePoints: 12,
      backgroundBlock: 7,
      interactiveBlock: 3,
    });
  });

  it('never lets a span of the window hold more than its limit, wherever the sub-windows fall', () => {
    for (const windowMs of [500, 1_000, 3_000, 4_000, 30_000, 60_000, 3_600_000])
      for (const limit of [2, 3, 7, 20, 30, 120, 200, 360, 1_000]) {
        const plan = planSharedWindow({ limit, windowMs }, 0.3);
        expect(plan.subWindowMs % 1_000).toBe(0);
        const touched = Math.ceil(windowMs / plan.subWindowMs) + 1;
        expect(touched * plan.points, `${limit}/${windowMs}ms`).toBeLessThanOrEqual(limit);
        expect(plan.backgroundPoints + plan.interactivePoints).toBe(plan.points);
      }
  });

  it('keeps blocks small beside the sub-window: at most 10 calls, a quarter of its counter', () => {
    expect([1, 3, 4, 16, 40, 1_000].map(blockSize)).toEqual([1, 1, 1, 4, 10, 10]);
  });

  it("gives each replica its share of each window's limit while Redis is away, at least one call", () => {
    const windows = [
      { limit: 30, windowMs: 1_000 },
      { limit: 360, windowMs: 30_000 },
    ];
    expect(localShare(windows, 3)).toEqual([
      { limit: 10, windowMs: 1_000 },
      { limit: 120, windowMs: 30_000 },
    ]);
    expect(localShare(windows, 0)).toEqual(windows);
    expect(localShare([{ limit: 2, windowMs: 1_000 }], 5)).toEqual([{ limit: 1, windowMs: 1_000 }]);
  });
});
