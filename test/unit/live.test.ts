import { describe, expect, it } from 'vitest';
import type { Batch } from '../../src/domain/batch.js';
import { LatestValueChannel, mergeLatest } from '../../src/live/channel.js';
import { parseHubEvent } from '../../src/live/coordinator.js';
import { addSample, deriveProgress } from '../../src/live/derive.js';
import { nextDelay } from '../../src/live/poll-policy.js';
import { pollPolicy } from '../helpers/config.js';

/** Pure parts of live progress: latest-value channels, polling policy, derived rate and estimate. */
const batch = (status: Batch['status'], isTerminal = false) => ({ status, isTerminal }) as Batch;
const mid = () => 0.5; // no jitter
const policy = pollPolicy();

describe('nextDelay', () => {
  it('polls fast while running, backs off while queued or unchanged, slowly while Reach records are pending', () => {
    expect(nextDelay(policy, { batch: batch('RUNNING'), unchanged: 5, failures: 0 }, mid)).toBe(policy.runningMs);
    const idle = [0, 1, 2, 3, 10].map((unchanged) =>
      nextDelay(policy, { batch: batch('QUEUED'), unchanged, failures: 0 }, mid),
    );
    expect(idle).toEqual([2_000, 4_000, 8_000, 16_000, 30_000]);
    expect(nextDelay(policy, { batch: batch('SUCCEEDED', false), unchanged: 0, failures: 0 }, mid)).toBe(
      policy.pendingMs,
    );
    // An unknown status word backs off like an idle batch rather than waiting a pending-records minute.
    expect(nextDelay(policy, { batch: batch('UNKNOWN', false), unchanged: 0, failures: 0 }, mid)).toBe(policy.idleMs);
  });

  it('backs off exponentially on failures and never polls before Retry-After', () => {
    expect(
      [1, 2, 3, 9].map((failures) => nextDelay(policy, { batch: undefined, unchanged: 0, failures }, mid)),
    ).toEqual([2_000, 4_000, 8_000, 60_000]);
    for (let i = 0; i < 50; i++)
      expect(
        nextDelay(policy, { batch: undefined, unchanged: 0, failures: 1, retryAfterMs: 45_000 }),
      ).toBeGreaterThanOrEqual(45_000);
  });

  it('jitters within ±20% so loops drift apart', () => {
    const delays = new Set(
      Array.from({ length: 50 }, () => nextDelay(policy, { batch: batch('RUNNING'), unchanged: 0, failures: 0 })),
    );
    expect(delays.size).toBeGreaterThan(10);
    for (const d of delays) (expect(d).toBeGreaterThanOrEqual(1_600), expect(d).toBeLessThanOrEqual(2_400));
  });
});

describe('deriveProgress', () => {
  it('is null until a second of history, then rate and estimate', () => {
    let h = addSample([], { atMs: 0, processed: 0 });
    expect(deriveProgress(h, 100, false)).toEqual({ ratePerSecond: null, estimatedCompletionAt: null });
    h = addSample(h, { atMs: 10_000, processed: 20 });
    expect(deriveProgress(h, 100, false)).toEqual({ ratePerSecond: 2, estimatedCompletionAt: new Date(50_000) });
    expect(deriveProgress(h, null, false).estimatedCompletionAt).toBeNull();
    expect(deriveProgress(h, 100, true).estimatedCompletionAt).toBeNull();
  });
  it('restarts when counts go backwards and forgets samples older than five minutes', () => {
    let h = addSample([{ atMs: 0, processed: 50 }], { atMs: 1_000, processed: 10 });
    expect(h).toEqual([{ atMs: 1_000, processed: 10 }]);
    h = addSample(h, { atMs: 400_000, processed: 20 });
    expect(h).toEqual([{ atMs: 400_000, processed: 20 }]);
  });
});

describe('LatestValueChannel', () => {
  it('holds one value however many are pushed, and delivers the newest', async () => {
    const ch = new LatestValueChannel<number>();
    for (let i = 0; i < 100_000; i++) ch.push(i);
    expect(ch.buffered).toBe(1);
    expect(ch.dropped).toBe(99_999);
    expect(await ch.next()).toEqual({ value: 99_999, done: false });
    ch.close();
    expect(await ch.next()).toEqual({ value: undefined, done: true });
  });

  it('delivers the pending value before ending, and reports the leave once', async () => {
    let left = 0;
    const ch = new LatestValueChannel<number>(() => left++);
    ch.push(1);
    ch.fail(new Error('boom'));
    expect(await ch.next()).toEqual({ value: 1, done: false });
    await expect(ch.next()).rejects.toThrow('boom');
    await ch.return();
    await ch.return();
    expect(left).toBe(1);
  });

  it('merges streams keeping the latest per key and ends when all end', async () => {
    const a = new LatestValueChannel<string>();
    const b = new LatestValueChannel<string>();
    const merged = mergeLatest([a, b], (v) => v[0]!);
    a.push('a1');
    b.push('b1');
    await new Promise((r) => setTimeout(r, 0));
    a.push('a2');
    a.close();
    b.close();
    const out: string[] = [];
    for await (const v of merged) out.push(v);
    // a1 may be skipped (superseded), a2 and b1 never.
    expect(out).toContain('a2');
    expect(out.indexOf('a1')).toBeLessThan(out.indexOf('a2'));
    expect(out).toContain('b1');
  });
});

describe('parseHubEvent', () => {
  it('revives timestamps of a batch that travelled through Redis', () => {
    const event = parseHubEvent(
      JSON.stringify({
        kind: 'state',
        batch: {
          createdAt: new Date(5),
          observedAt: new Date(6),
          progress: { estimatedCompletionAt: new Date(7) },
          name: '2026-01-01T00:00:00Z',
        },
      }),
    );
    expect(event.kind === 'state' && event.batch.createdAt).toEqual(new Date(5));
    expect(event.kind === 'state' && event.batch.progress.estimatedCompletionAt).toEqual(new Date(7));
    expect(event.kind === 'state' && (event.batch as unknown as { name: string }).name).toBe('2026-01-01T00:00:00Z');
  });
});
