import { describe, expect, it } from 'vitest';
import { ProviderQuota } from '../../src/providers/quota.js';

/** The request budget's two shares on a frozen clock: what a window lets each kind of call take. */
function quota(limit: number) {
  let t = 1_000_000;
  const q = new ProviderQuota('FACT_CHECK', [{ limit, windowMs: 60_000 }], {
    interactiveShare: 0.3,
    waitMs: 0,
    now: () => t,
  });
  return { q, advance: (ms: number) => (t += ms) };
}

/**
 * Takes as many calls of `kind` as the window allows now. Polls are checked as streams' first reads,
 * which draw on the polls' part like every poll but are not paced, so the window's capacity shows at once.
 */
function drain(q: ProviderQuota, kind: 'interactive' | 'first-read'): number {
  let n = 0;
  while (n < 1_000 && q.tryTake(kind)) n++;
  return n;
}

describe('ProviderQuota shares', () => {
  it('lets queries use the whole window', () => {
    const { q } = quota(200);
    expect(drain(q, 'interactive')).toBe(200);
    expect(q.tryTake('first-read')).toBe(false);
  });

  it('keeps the 30 % free for queries whatever the polls do, and counts only polls against the 70 %', () => {
    const { q } = quota(200);
    expect(drain(q, 'first-read')).toBe(140);
    // The polls' part is spent; the queries' share is intact.
    expect(q.tryTake('first-read')).toBe(false);
    expect(drain(q, 'interactive')).toBe(60);
  });

  it("does not shrink the polls' part when queries use their share first", () => {
    const { q } = quota(200);
    for (let i = 0; i < 60; i++) expect(q.tryTake('interactive')).toBe(true);
    expect(drain(q, 'first-read')).toBe(140);
    expect(q.tryTake('interactive')).toBe(false);
  });
});

it('gives a window back as its calls age out of it', () => {
  const { q, advance } = quota(200);
  expect(drain(q, 'first-read')).toBe(140);
  advance(60_001);
  expect(drain(q, 'first-read')).toBe(140);
});
