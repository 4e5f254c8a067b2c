import type { Batch } from '../domain/batch.js';
import { parseWithDates } from '../live/coordinator.js';

/**
 * A batch as the ledger stores it: JSON (dates as ISO strings, revived on the way out), less the live-only fields
 * (staleness; health, which the ledger keeps in its own columns) and `expired`, which says how an answer was
 * served (from a reading the provider no longer has), not what was read.
 */
export function serializeReading(batch: Batch): string {
  const {
    stale: _s,
    staleReason: _r,
    nextRefreshAt: _n,
    servedFrom: _f,
    knownSince: _k,
    expired: _e,
    health: _h,
    healthSince: _hs,
    healthReason: _hr,
    ...reading
  } = batch;
  const progress = { ...reading.progress };
  delete progress.ratePerSecond;
  delete progress.estimatedCompletionAt;
  return JSON.stringify({ ...reading, progress });
}

/** A stored reading as a batch again (its `observedAt` is when it was read). */
export function parseReading(text: string): Batch {
  return parseWithDates(text) as Batch;
}

/** Whether a reading changed: its text without `observedAt` (a reading equal to the last is not written). */
export function fingerprintOf(text: string): string {
  return text.replace(/"observedAt":"[^"]*"/, '');
}
