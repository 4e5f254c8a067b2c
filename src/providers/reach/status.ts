import type { BatchStatus } from '../../domain/batch.js';

/** Reach status words (reach.openapi.yaml) to the unified status. Unknown words map to UNKNOWN. */
const REACH_STATUS: Readonly<Record<string, BatchStatus>> = {
  processing: 'RUNNING',
  success: 'SUCCEEDED',
  partial_success: 'PARTIALLY_SUCCEEDED',
  failure: 'FAILED',
};

/** Maps a Reach status word; matching is case-insensitive to tolerate casing drift. */
export function fromReachStatus(word: string): BatchStatus {
  return REACH_STATUS[word.toLowerCase()] ?? 'UNKNOWN';
}
