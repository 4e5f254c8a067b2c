/**
 * Which changes notify (docs/notifications.md, "Events"): only a change batchql saw happen. A batch first seen
 * finished notifies nothing; a status change from a status it had read does; health changes and submissions do;
 * the failure rate waits for its minimum of processed items. Each notice's dedupe key makes it one event across
 * replicas.
 */
import { describe, expect, it } from 'vitest';
import { failureRateOf, noticesOf, type LedgerChange } from '../../src/notifications/events.js';

const key = { provider: 'FACT_CHECK' as const, scope: 'default', providerBatchId: 'b1' };
const change = (over: Partial<LedgerChange>): LedgerChange => ({
  key,
  at: 1_000,
  kind: 'STATUS',
  status: 'RUNNING',
  previousStatus: 'QUEUED',
  processed: 0,
  failed: 0,
  detail: undefined,
  ...over,
});
const types = (c: LedgerChange) => noticesOf(c).map((n) => n.type);

describe('noticesOf', () => {
  it('notifies a status change batchql saw, and nothing for a batch first seen', () => {
    expect(types(change({}))).toEqual(['batch.started']);
    expect(types(change({ status: 'SUCCEEDED', previousStatus: 'RUNNING' }))).toEqual(['batch.succeeded']);
    expect(types(change({ status: 'PARTIALLY_SUCCEEDED', previousStatus: 'QUEUED' }))).toEqual([
      'batch.partially_succeeded',
    ]);
    expect(types(change({ status: 'CANCELLED', previousStatus: 'RUNNING' }))).toEqual(['batch.cancelled']);
    expect(types(change({ status: 'FAILED', previousStatus: null }))).toEqual([]);
    expect(types(change({ status: 'RUNNING', previousStatus: null }))).toEqual([]);
    // A finished batch whose provider status changed again (a late correction) is not finished twice.
    expect(types(change({ status: 'FAILED', previousStatus: 'SUCCEEDED' }))).toEqual([]);
    expect(types(change({ kind: 'PROGRESS', status: 'RUNNING', previousStatus: null }))).toEqual([]);
  });

  it('notifies health changes, with one key per health period', () => {
    const stalled = noticesOf(
      change({ kind: 'HEALTH', at: 5, detail: { health: 'STALLED', previousHealth: 'OK', reason: 'no progress' } }),
    );
    expect(stalled.map((n) => [n.type, n.detail])).toEqual([
      ['batch.stalled', { health: 'STALLED', previousHealth: 'OK', reason: 'no progress' }],
    ]);
    const later = noticesOf(change({ kind: 'HEALTH', at: 9, detail: { health: 'STALLED', previousHealth: 'OK' } }));
    expect(later[0]!.dedupeKey).not.toBe(stalled[0]!.dedupeKey);
    expect(types(change({ kind: 'HEALTH', detail: { health: 'OK', previousHealth: 'SLOW' } }))).toEqual([
      'batch.recovered',
    ]);
    // A first judgment of OK, or UNKNOWN, is no news.
    expect(types(change({ kind: 'HEALTH', detail: { health: 'OK', previousHealth: null } }))).toEqual([]);
    expect(types(change({ kind: 'HEALTH', detail: { health: 'UNKNOWN', previousHealth: 'OK' } }))).toEqual([]);
  });

  it('notifies a submission, not a cancel, a refusal or a replay', () => {
    const write = (outcome: string) =>
      types(change({ kind: 'WRITE', detail: { mutation: 'submitFactCheckBatch', outcome, subject: 's' } }));
    expect(write('CREATED')).toEqual(['batch.submitted']);
    for (const outcome of ['DONE', 'REFUSED', 'REPLAYED', 'FAILED', 'UNKNOWN']) expect(write(outcome)).toEqual([]);
  });

  it('gives the same change the same key, whichever replica saw it', () => {
    const a = noticesOf(change({ status: 'SUCCEEDED', previousStatus: 'RUNNING', at: 1 }))[0]!;
    const b = noticesOf(change({ status: 'SUCCEEDED', previousStatus: 'QUEUED', at: 2 }))[0]!;
    expect(a.dedupeKey).toBe(b.dedupeKey);
  });
});

describe('failureRateOf', () => {
  it('is failed ÷ processed once the minimum of items was processed', () => {
    expect(failureRateOf(change({ kind: 'PROGRESS', processed: 9, failed: 9 }), 10)).toBeUndefined();
    expect(failureRateOf(change({ kind: 'PROGRESS', processed: 10, failed: 4 }), 10)).toBeCloseTo(0.4);
    expect(failureRateOf(change({ kind: 'WRITE', processed: 10, failed: 4 }), 1)).toBeUndefined();
    expect(failureRateOf(change({ kind: 'PROGRESS', processed: null, failed: null }), 1)).toBeUndefined();
    // An old finished batch first seen now is not judged; one seen finishing is.
    const finished = { status: 'PARTIALLY_SUCCEEDED', processed: 10, failed: 5 };
    expect(failureRateOf(change({ ...finished, previousStatus: null }), 1)).toBeUndefined();
    expect(failureRateOf(change({ ...finished, previousStatus: 'RUNNING' }), 1)).toBeCloseTo(0.5);
  });
});
