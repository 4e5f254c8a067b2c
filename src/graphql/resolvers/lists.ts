import type { BatchListFilter, ListOrder } from '../../domain/listing.js';
import { toGlobalId } from '../../domain/global-id.js';
import type {
  FactCheckBatchResolvers,
  FactCheckItemResolvers,
  QueryResolvers,
  ReachBatchResolvers,
} from '../__generated__/resolvers-types.js';
import { resolveBatchList } from '../connections/batch-list.js';
import { arrayConnection, factCheckItems } from '../connections/nested.js';

type Maybe<T> = T | null | undefined;

/** A DateTime input as a Date (graphql-scalars parses to Date; strings are tolerated). */
const date = (value: Maybe<Date | string>): Date | undefined =>
  value == null ? undefined : value instanceof Date ? value : new Date(value);
/** GraphQL null means "not given". */
const given = <T>(value: Maybe<T>): T | undefined => (value == null ? undefined : value);

function toFilter(
  f:
    | {
        providers?: Maybe<BatchListFilter['providers']>;
        statuses?: Maybe<BatchListFilter['statuses']>;
        reachBatchTypes?: Maybe<BatchListFilter['reachBatchTypes']>;
        hasPendingResources?: Maybe<boolean>;
        createdAfter?: Maybe<Date | string>;
        createdBefore?: Maybe<Date | string>;
      }
    | null
    | undefined,
): BatchListFilter {
  const filter: BatchListFilter = {};
  if (!f) return filter;
  if (f.providers != null) filter.providers = [...new Set(f.providers)];
  if (f.statuses != null) filter.statuses = [...new Set(f.statuses)].sort();
  if (f.reachBatchTypes != null) filter.reachBatchTypes = [...new Set(f.reachBatchTypes)].sort();
  if (f.hasPendingResources != null) filter.hasPendingResources = f.hasPendingResources;
  const after = date(f.createdAfter);
  const before = date(f.createdBefore);
  if (after) filter.createdAfter = after;
  if (before) filter.createdBefore = before;
  return filter;
}

/** The order; the schema defaults each part (CREATED_AT, DESC). */
const toOrder = (o: Maybe<{ field?: ListOrder['field']; direction?: ListOrder['direction'] }>): ListOrder | null =>
  o ? { field: o.field ?? 'CREATED_AT', direction: o.direction ?? 'DESC' } : null;

/** The list fields of Query. */
export const listQueries: Pick<QueryResolvers, 'batches' | 'reachBatches' | 'factCheckBatches'> = {
  batches: (_, args, ctx, info) =>
    resolveBatchList(
      ctx,
      info,
      { field: 'batches', candidates: ctx.gateway.providerNames, partial: true },
      { ...args, filter: toFilter(args.filter), order: toOrder(args.orderBy) },
    ),
  reachBatches: (_, args, ctx, info) =>
    resolveBatchList(
      ctx,
      info,
      { field: 'reachBatches', candidates: ['REACH'], partial: false },
      {
        ...args,
        filter: toFilter(args.filter ? { ...args.filter, reachBatchTypes: given(args.filter.batchTypes) } : null),
        order: toOrder(args.orderBy),
      },
    ),
  factCheckBatches: (_, args, ctx, info) =>
    resolveBatchList(
      ctx,
      info,
      { field: 'factCheckBatches', candidates: ['FACT_CHECK'], partial: false },
      { ...args, filter: toFilter(args.filter), order: null },
    ),
};

/** Nested connections of Reach batches (the lists come whole with the batch; paged here). */
export const reachBatchLists: Pick<ReachBatchResolvers, 'recordErrors' | 'pendingResources'> = {
  recordErrors: (batch, args, ctx) =>
    arrayConnection(
      ctx,
      `ReachBatch.recordErrors:${toGlobalId('REACH', batch.providerBatchId)}`,
      batch.recordErrors,
      args,
    ),
  pendingResources: (batch, args, ctx) =>
    batch.pendingResources === null
      ? null
      : arrayConnection(
          ctx,
          `ReachBatch.pendingResources:${toGlobalId('REACH', batch.providerBatchId)}`,
          batch.pendingResources,
          args,
        ),
};

/** Check's item results, read page by page from `GET /v1/batch/:id/results`. */
export const factCheckBatchLists: Pick<FactCheckBatchResolvers, 'items'> = {
  items: (batch, args, ctx) => factCheckItems(ctx, batch.providerBatchId, args),
};

const ITEM_STATUSES = new Set(['PENDING', 'QUEUED', 'PROCESSING', 'COMPLETED', 'FAILED', 'SKIPPED']);
const DECISIONS = new Set(['ACCEPT', 'REJECT', 'ESCALATE']);

/** Check item words to enums; unknown words become UNKNOWN (status) or null (decision). */
export const FactCheckItem: FactCheckItemResolvers = {
  status: (item) => {
    const word = item.status.toUpperCase();
    return (ITEM_STATUSES.has(word) ? word : 'UNKNOWN') as 'UNKNOWN';
  },
  statusRaw: (item) => item.status,
  decision: (item) => {
    const word = item.decision?.toUpperCase();
    return word && DECISIONS.has(word) ? (word as 'ACCEPT') : null;
  },
};
