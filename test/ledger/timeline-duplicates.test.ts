/**
 * One change is one timeline event, however many loops read it (issue 32): a list row and a fuller read of the same
 * new state, taken before the ledger wrote either, leave one status event (a background watch's walk and a
 * subscriber's first read of one Check batch do exactly that).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import type { Batch, BatchStatus } from '../../src/domain/batch.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { openSqliteLedger } from '../../src/ledger/store.js';
import { freshDataDir } from '../helpers/data-dir.js';

const ledgers: Ledger[] = [];
afterAll(async () => {
  for (const l of ledgers) await l.close();
});

const reading = (status: BatchStatus, processed: number, at: number): Batch => ({
  provider: 'FACT_CHECK',
  providerBatchId: 'batch_dup',
  status,
  providerStatus: status === 'QUEUED' ? 'pending' : 'processing',
  isTerminal: false,
  progress: { total: 2, processed, succeeded: processed, failed: 0, pending: 0, percent: processed * 50 },
  createdAt: new Date(0),
  startedAt: null,
  completedAt: null,
  errorMessage: null,
  observedAt: new Date(at),
});

describe('the timeline of a batch read by two loops at once', () => {
  it('records one status change for a list row and a fuller read of the same state', async () => {
    const ledger = new Ledger(await openSqliteLedger(freshDataDir()), {
      cacheMaxEntries: 100,
      log: pino({ level: 'silent' }),
    });
    ledgers.push(ledger);
    const key = { provider: 'FACT_CHECK' as const, scope: 'default', providerBatchId: 'batch_dup' };
    ledger.observe(reading('QUEUED', 0, 1_000), { scope: 'default', lacks: [] });
    await ledger.flushNow();
    // The walk's row (it lacks the detail fields), then the single read, 13 ms apart, in one flush.
    ledger.observe(reading('RUNNING', 1, 2_000), { scope: 'default', lacks: ['context'] });
    ledger.observe(reading('RUNNING', 1, 2_013), { scope: 'default', lacks: [] });
    await ledger.flushNow();
    const events = await ledger.timeline(key, null, 10, ['STATUS']);
    expect(events.map((e) => [e.status, e.previousStatus])).toEqual([
      ['QUEUED', null],
      ['RUNNING', 'QUEUED'],
    ]);
  });
});
