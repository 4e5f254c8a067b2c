import { badInput } from '../../domain/errors.js';
import type { BatchListFilter, ListOrder } from '../../domain/listing.js';
import { type BatchHealth } from '../../domain/batch.js';
import type { QueryResolvers } from '../__generated__/resolvers-types.js';
import type { GraphQLContext } from '../context.js';
import { resolveBatchList } from '../connections/batch-list.js';

type Maybe<T> = T | null | undefined;

/** The longest `BatchFilter.search` (a name or an id; longer input is refused, not scanned for). */
const MAX_SEARCH = 200;

/** A DateTime input as a Date (graphql-scalars parses to Date; strings are tolerated). */
const date = (value: Maybe<Date | string>): Date | undefined =>
  value == null ? undefined : value instanceof Date ? value : new Date(value);

/** The provider-neutral fields of a list filter input (`BatchFilter` and the providers' own list filters). */
export interface FilterInput {
  providers?: Maybe<BatchListFilter['providers']>;
  statuses?: Maybe<BatchListFilter['statuses']>;
  hasPendingResources?: Maybe<boolean>;
  createdAfter?: Maybe<Date | string>;
  createdBefore?: Maybe<Date | string>;
  finishedAfter?: Maybe<Date | string>;
  finishedBefore?: Maybe<Date | string>;
  search?: Maybe<string>;
  health?: Maybe<readonly BatchHealth[]>;
  failureRateAbove?: Maybe<number>;
}

/**
 * A list filter input as the provider-neutral filter: its own fields, then each served provider's fields of
 * `BatchFilter` (`ProviderSchema.listFilter`). Lists are de-duplicated and sorted, so equal filters are equal.
 */
export function toFilter(ctx: GraphQLContext, f: Maybe<FilterInput>): BatchListFilter {
  const filter: BatchListFilter = {};
  if (!f) return filter;
  if (f.providers != null) filter.providers = [...new Set(f.providers)];
  if (f.statuses != null) filter.statuses = [...new Set(f.statuses)].sort();
  if (f.hasPendingResources != null) filter.hasPendingResources = f.hasPendingResources;
  const after = date(f.createdAfter);
  const before = date(f.createdBefore);
  if (after) filter.createdAfter = after;
  if (before) filter.createdBefore = before;
  const finishedAfter = date(f.finishedAfter);
  const finishedBefore = date(f.finishedBefore);
  if (finishedAfter) filter.finishedAfter = finishedAfter;
  if (finishedBefore) filter.finishedBefore = finishedBefore;
  if (f.search != null) {
    if (f.search.length > MAX_SEARCH) throw badInput(`search must be at most ${MAX_SEARCH} characters`);
    filter.search = f.search;
  }
  if (f.health != null) filter.health = [...new Set(f.health)].sort();
  if (f.failureRateAbove != null) {
    if (!(f.failureRateAbove >= 0 && f.failureRateAbove < 1))
      throw badInput('failureRateAbove must be at least 0 and below 1 (a share of the processed items)');
    filter.failureRateAbove = f.failureRateAbove;
  }
  for (const provider of ctx.gateway.definitions)
    Object.assign(filter, provider.schema.listFilter?.(f as Readonly<Record<string, unknown>>));
  return filter;
}

/** The order; the schema defaults each part (CREATED_AT, DESC). */
export const toOrder = (
  o: Maybe<{ field?: ListOrder['field']; direction?: ListOrder['direction'] }>,
): ListOrder | null => (o ? { field: o.field ?? 'CREATED_AT', direction: o.direction ?? 'DESC' } : null);

/** The merged list of `Query`; each provider's own list field comes with its definition. */
export const listQueries: Pick<QueryResolvers, 'batches'> = {
  batches: (_, args, ctx, info) =>
    resolveBatchList(
      ctx,
      info,
      { field: 'batches', candidates: ctx.gateway.providerNames, partial: true },
      { ...args, filter: toFilter(ctx, args.filter), order: toOrder(args.orderBy) },
    ),
};
