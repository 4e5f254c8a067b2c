import type { ReachBatchType } from './model.js';
import type { BatchListFilter, ListOrder, ListPlan } from '../../domain/listing.js';

const SORT_BY = { CREATED_AT: 'createdAt', STARTED_AT: 'startedAt', COMPLETED_AT: 'completedAt' } as const;
const ALL_TYPES = 3;

/**
 * Plans a Reach list: order as `sortBy`/`sortDirection`; one wanted batch type as `batchType`;
 * `hasPendingResources: true` as `onlyBatchesWithPendingResources=true`. Statuses, several batch
 * types, `hasPendingResources: false` and created-date bounds are filtered in the gateway.
 */
export function planReachList(filter: BatchListFilter, order: ListOrder): ListPlan {
  if (filter.providers && !filter.providers.includes('REACH'))
    return { ok: false, reason: 'FILTERED_OUT', message: 'not in filter.providers' };
  const pushdown: Record<string, string> = {
    sortBy: SORT_BY[order.field],
    sortDirection: order.direction === 'ASC' ? 'asc' : 'desc',
  };
  let exact = true;
  // Reach's `listFilter` fills `batchTypes` from `ReachBatchType` values only.
  const types = filter.batchTypes as readonly ReachBatchType[] | undefined;
  if (types && new Set(types).size < ALL_TYPES) {
    if (types.length === 0) return { ok: false, reason: 'FILTERED_OUT', message: 'the batch-type filter is empty' };
    if (new Set(types).size === 1) pushdown.batchType = types[0]!;
    else exact = false;
  }
  if (filter.hasPendingResources === true) pushdown.onlyBatchesWithPendingResources = 'true';
  if (filter.hasPendingResources === false) exact = false;
  if (filter.statuses) {
    if (filter.statuses.length === 0) return { ok: false, reason: 'FILTERED_OUT', message: 'filter.statuses is empty' };
    exact = false;
  }
  if (filter.createdAfter || filter.createdBefore) exact = false;
  return { ok: true, pushdown, exact };
}
