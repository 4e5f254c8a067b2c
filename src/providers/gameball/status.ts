import type { BatchStatus } from '../../domain/batch.js';

/**
 * Gameball status words to the unified status: the v4 enum (pending, processing, completed,
 * failed), "stopped" (what batchql assumes after a stop; the v4 enum has no word for it) and the
 * older pages' words (Queued, Running, Completed, Failed, Stopped; v3 inProgress, finished).
 * `completed` splits on `failedItems` (docs/providers.md, assumptions: completed with failures is a
 * partial success). Matching is case-insensitive.
 */
export function fromGameballStatus(word: string, failedItems: number): BatchStatus {
  switch (word.toLowerCase()) {
    case 'pending':
    case 'queued':
      return 'QUEUED';
    case 'processing':
    case 'running':
    case 'inprogress':
      return 'RUNNING';
    case 'completed':
    case 'finished':
      return failedItems > 0 ? 'PARTIALLY_SUCCEEDED' : 'SUCCEEDED';
    case 'failed':
      return 'FAILED';
    case 'stopped':
    case 'cancelled':
      return 'CANCELLED';
    default:
      return 'UNKNOWN';
  }
}
