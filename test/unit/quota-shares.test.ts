import { describe, expect, it } from 'vitest';
import { ProviderQuota } from '../../src/upstream/budget/quota.js';

/** The request budget's two shares on a frozen clock: what a window lets each kind of call take. */
function quota(limit: number, clientShare?: number) {
  let t = 1_000_000;
  const q = new ProviderQuota('FACT_CHECK', [{ limit, windowMs: 60_000 }], {
    interactiveShare: 0.3,
    waitMs: 0,
    pauseCapMs: 60_000,
    now: () => t,
    // No fairness unless asked.
    clientShare: clientShare ?? 1,
  });
  return { q, advance: (ms: number) => (t += ms) };
}

/**
 * Takes as many calls of `kind` as the window allows now. Polls are checked as streams' first reads,
 * which draw on the polls' part like every poll but are not paced, so the window's capacity shows at once.
 */
function drain(q: ProviderQuota, kind: 'interactive' | 'first-read', client?: string): number {
  let n = 0;
  while (n < 1_000 && q.tryTake(kind, client)) n++;
  return n;
}

describe('ProviderQuota shares', () => {
  it('caps queries at their 30 %, so the polls keep their part whatever the queries do', () => {
    const { q } = quota(200);
    expect(drain(q, 'interactive')).toBe(60);
    expect(drain(q, 'first-read')).toBe(140);
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

describe("one client's share of the queries' part", () => {
  it('lets a lone client use the interactive part but 18 % kept for a newcomer', () => {
    const { q } = quota(200, 0.25);
    // 60 in all, a reserve of 11: 49 for the lone client, then the newcomer finds 11 at once.
    expect(drain(q, 'interactive', 'alone')).toBe(49);
    expect(drain(q, 'interactive', 'newcomer')).toBe(11);
  });

  it('holds a client at its 25 % while another client waits, and serves the waiting one first', async () => {
    let t = 1_000_000;
    const q = new ProviderQuota('FACT_CHECK', [{ limit: 200, windowMs: 60_000 }], {
      interactiveShare: 0.3,
      waitMs: 120_000,
      clientShare: 0.25,
      pauseCapMs: 60_000,
      now: () => t,
    });
    // The hog takes what it may alone (49 of 60: 30 now, 19 ten seconds later); a late client the rest.
    for (let i = 0; i < 30; i++) expect(q.tryTake('interactive', 'hog')).toBe(true);
    t += 10_000;
    for (let i = 0; i < 19; i++) expect(q.tryTake('interactive', 'hog')).toBe(true);
    expect(q.tryTake('interactive', 'hog')).toBe(false);
    for (let i = 0; i < 11; i++) expect(q.tryTake('interactive', 'late')).toBe(true);
    const order: string[] = [];
    const hogWaits = q.take('interactive', undefined, 'hog').then(() => order.push('hog'));
    const victimWaits = Array.from({ length: 5 }, () =>
      q.take('interactive', undefined, 'victim').then(() => order.push('victim')),
    );
    // The first 30 leave the window. The hog, first in line, still holds 19 (over its 15) while the
    // victim waits under its own: the victim's calls go first.
    t += 50_001;
    q.wake();
    await Promise.all(victimWaits);
    // Once nobody else waits, the hog may use what is idle again, in the same round.
    await hogWaits;
    expect(order).toEqual(['victim', 'victim', 'victim', 'victim', 'victim', 'hog']);
    t += 60_001;
    q.close();
  });
});
