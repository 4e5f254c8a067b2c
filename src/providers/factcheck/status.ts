import type { BatchStatus } from '../../domain/batch.js';

/**
 * Check status words to the unified status. `validating` is work in progress (Check is parsing
 * the input), so it is RUNNING; `completed` with failures is PARTIALLY_SUCCEEDED.
 */
export function fromFactCheckStatus(word: string, failureCount: number): BatchStatus {
  switch (word.toLowerCase()) {
    case 'pending':
      return 'QUEUED';
    case 'validating':
    case 'processing':
      return 'RUNNING';
    case 'completed':
      return failureCount > 0 ? 'PARTIALLY_SUCCEEDED' : 'SUCCEEDED';
    case 'failed':
      return 'FAILED';
    case 'cancelled':
      return 'CANCELLED';
    default:
      return 'UNKNOWN';
  }
}
