import type { BatchStatus } from '../../domain/batch.js';
import type { BatchListFilter, ListOrder, ListPlan } from '../../domain/listing.js';

/** The Check status words each unified status comes from (see `fromFactCheckStatus`). */
const WORDS: Record<BatchStatus, readonly string[]> = {
  QUEUED: ['pending'],
  RUNNING: ['validating', 'processing'],
  SUCCEEDED: ['completed'],
  PARTIALLY_SUCCEEDED: ['completed'],
  FAILED: ['failed'],
  CANCELLED: ['cancelled'],
  UNKNOWN: [],
};
/** The unified statuses each Check word maps to. */
const STATUSES_OF: Record<string, readonly BatchStatus[]> = {
  pending: ['QUEUED'],
  validating: ['RUNNING'],
  processing: ['RUNNING'],
  completed: ['SUCCEEDED', 'PARTIALLY_SUCCEEDED'],
  failed: ['FAILED'],
  cancelled: ['CANCELLED'],
};

/**
 * Plans a Check list. Check lists newest first only, so any other order leaves it out. Wanted
 * statuses that come from exactly one Check word are pushed down as `status`; the gateway
 * re-checks (e.g. SUCCEEDED alone is `completed` without failures). Reach-only filters
 * (batch types, `hasPendingResources: true`) leave Check out; date bounds are filtered here.
 */
export function planFactCheckList(filter: BatchListFilter, order: ListOrder): ListPlan {
  if (filter.providers && !filter.providers.includes('FACT_CHECK'))
    return { ok: false, reason: 'FILTERED_OUT', message: 'not in filter.providers' };
  if (order.field !== 'CREATED_AT' || order.direction !== 'DESC') {
    return {
      ok: false,
      reason: 'ORDER_NOT_SUPPORTED',
      message: 'Check lists batches by createdAt, newest first, only',
    };
  }
  if (filter.batchTypes) return { ok: false, reason: 'FILTERED_OUT', message: 'Check batches have no batch type' };
  if (filter.hasPendingResources === true)
    return { ok: false, reason: 'FILTERED_OUT', message: 'Check batches have no pending resources' };
  const pushdown: Record<string, string> = {};
  let exact = !(filter.createdAfter || filter.createdBefore);
  if (filter.statuses) {
    const words = new Set(filter.statuses.flatMap((s) => WORDS[s]));
    if (words.size === 0 && !filter.statuses.includes('UNKNOWN'))
      return { ok: false, reason: 'FILTERED_OUT', message: 'no Check status matches filter.statuses' };
    const [word] = words;
    if (words.size === 1 && !filter.statuses.includes('UNKNOWN') && word !== undefined) {
      pushdown.status = word;
      if (!STATUSES_OF[word]!.every((s) => filter.statuses!.includes(s))) exact = false;
    } else {
      exact = false;
    }
  }
  return { ok: true, pushdown, exact };
}
