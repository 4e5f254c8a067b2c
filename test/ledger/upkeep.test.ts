/**
 * The ledger's upkeep (issue 31, docs/ledger.md "Timelines" and "Retention") on both real stores: progress
 * samples thinned as they age (every reading for ten minutes, then one a minute, then one per ten minutes), and
 * retention pruning batches finished too long ago, with their timelines, and old audit entries, keeping the rest.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import type { Batch } from '../../src/domain/batch.js';
import { SAMPLE_TIERS } from '../../src/ledger/events.js';
import { Ledger, type BatchKey } from '../../src/ledger/ledger.js';
import { openPostgresLedger } from '../../src/ledger/postgres-store.js';
import { openSqliteLedger } from '../../src/ledger/store.js';
import { closeLedgerStores, LEDGER_STORES } from '../helpers/ledger-stores.js';

afterAll(() => closeLedgerStores());

const MINUTE = 60_000;
const DAY = 86_400_000;
const T0 = Date.parse('2026-11-01T00:00:00Z');

/** A Gameball-shaped reading of batch `id`: `processed` items done, read at `at`, finished at `completedAt`. */
function reading(id: string, processed: number, at: number, completedAt: number | null = null): Batch {
  const done = completedAt !== null;
  return {
    provider: 'GAMEBALL',
    providerBatchId: id,
    status: done ? 'SUCCEEDED' : 'RUNNING',
    providerStatus: done ? 'completed' : 'running',
    isTerminal: done,
    progress: { total: 100_000, processed, succeeded: processed, failed: 0, pending: 0, percent: null },
    createdAt: new Date(T0 - DAY),
    startedAt: new Date(T0 - DAY),
    completedAt: done ? new Date(completedAt) : null,
    errorMessage: null,
    observedAt: new Date(at),
  };
}

const keyOf = (id: string): BatchKey => ({ provider: 'GAMEBALL', scope: 'default', providerBatchId: id });
const sighting = { scope: 'default', viewer: '', lacks: [] };

describe.each(LEDGER_STORES)('with the $name store', (store) => {
  let now = T0;
  async function open(): Promise<Ledger> {
    const env = await store.env();
    const opened = env.DATABASE_URL
      ? await openPostgresLedger({ url: env.DATABASE_URL, poolMax: 2, idleMs: 10_000, deadlineMs: 5_000 })
      : await openSqliteLedger(env.DATA_DIR!);
    return new Ledger(opened, { cacheMaxEntries: 1000, log: pino({ level: 'silent' }), now: () => now });
  }

  it('thins progress samples by age: all of the last ten minutes, one a minute, then one per ten minutes', async () => {
    const ledger = await open();
    try {
      // A batch read every 10 s for two hours, its counts moving each time: 720 readings.
      const end = T0 + 120 * MINUTE;
      for (let i = 0, at = T0; at < end; i++, at += 10_000) ledger.observe(reading('gb-long', i * 10, at), sighting);
      await ledger.flushNow(true);
      const before = await ledger.progress(keyOf('gb-long'));
      expect(before).toHaveLength(720);

      now = end;
      const report = await ledger.upkeep(0, 0);
      expect(report?.thinned).toBeGreaterThan(0);
      const after = await ledger.progress(keyOf('gb-long'));
      const age = (p: { at: Date }) => now - p.at.getTime();
      const [young, old] = SAMPLE_TIERS;
      // The last ten minutes: every reading.
      expect(after.filter((p) => age(p) <= young!.olderThanMs)).toEqual(
        before.filter((p) => age(p) <= young!.olderThanMs),
      );
      // Then at most one sample per bucket of its tier: the first of each.
      const perBucket = (from: number, to: number, bucket: number) => {
        const buckets = new Map<number, number>();
        // The first point is the status change that began the timeline: never thinned, it may share a bucket.
        for (const p of after.slice(1).filter((q) => age(q) > from && age(q) <= to)) {
          const b = Math.floor(p.at.getTime() / bucket);
          buckets.set(b, (buckets.get(b) ?? 0) + 1);
        }
        return [...buckets.values()];
      };
      const minuteBuckets = perBucket(young!.olderThanMs + MINUTE, old!.olderThanMs, young!.bucketMs);
      expect(minuteBuckets.length).toBeGreaterThan(40);
      for (const n of minuteBuckets) expect(n).toBe(1);
      const tenMinuteBuckets = perBucket(old!.olderThanMs + 10 * MINUTE, Infinity, old!.bucketMs);
      expect(tenMinuteBuckets.length).toBeGreaterThanOrEqual(5);
      for (const n of tenMinuteBuckets) expect(n).toBe(1);
      expect(after.length).toBeLessThan(60 + 60 + 12 + 2);
      expect(after[0]).toEqual(before[0]);
      // A second round has nothing left to thin.
      expect((await ledger.upkeep(0, 0))?.thinned).toBe(0);
    } finally {
      await ledger.close();
    }
  });

  it('prunes batches finished before the retention with their timelines, and old audit entries', async () => {
    now = T0 + 200 * DAY;
    const ledger = await open();
    try {
      ledger.observe(reading('gb-old', 5, now - 100 * DAY, now - 100 * DAY), sighting);
      ledger.observe(reading('gb-young', 5, now - 10 * DAY, now - 10 * DAY), sighting);
      ledger.observe(reading('gb-running', 5, now - 100 * DAY), sighting);
      const entry = (at: number, id: string) => ({
        at: new Date(at),
        mutation: 'cancelBatch',
        provider: 'GAMEBALL' as const,
        providerBatchId: id,
        subject: 'alice',
        tenant: null,
        client: 'sub:alice',
        requestId: null,
        idempotencyKey: null,
        outcome: 'DONE' as const,
        code: null,
        message: null,
      });
      ledger.audit(entry(now - 400 * DAY, 'gb-old'), 'default');
      ledger.audit(entry(now - 10 * DAY, 'gb-young'), 'default');
      await ledger.flushNow(true);
      expect(await ledger.timeline(keyOf('gb-old'), null, 10)).toHaveLength(2);

      const report = await ledger.upkeep(90 * DAY, 365 * DAY);
      expect(report).toMatchObject({ pruned: 1, auditPruned: 1 });
      expect(await ledger.reading(keyOf('gb-old'))).toBeUndefined();
      expect(await ledger.timeline(keyOf('gb-old'), null, 10)).toEqual([]);
      expect(
        await ledger.page('GAMEBALL', 'default', '', {}, { field: 'CREATED_AT', direction: 'DESC' }, null, 10),
      ).toMatchObject({ total: 2 });
      expect((await ledger.reading(keyOf('gb-young')))?.batch.providerBatchId).toBe('gb-young');
      // A running batch is never pruned, however long ago it was last read.
      expect((await ledger.reading(keyOf('gb-running')))?.batch.status).toBe('RUNNING');
      expect((await ledger.auditEntries({}, null, 10)).map((e) => e.providerBatchId)).toEqual(['gb-young']);
    } finally {
      await ledger.close();
    }
  });
});
