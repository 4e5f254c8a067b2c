import type { Batch, BatchHealth, BatchStatus, ProviderName } from './batch.js';

/** The fields a batch list can be ordered by; values equal the GraphQL `BatchOrderField` enum. */
export type OrderField = 'CREATED_AT' | 'STARTED_AT' | 'COMPLETED_AT';

/** A list order; values equal the GraphQL `BatchOrder` input. */
export interface ListOrder {
  field: OrderField;
  direction: 'ASC' | 'DESC';
}

/** The default order of every batch list: newest first. */
export const DEFAULT_ORDER: ListOrder = { field: 'CREATED_AT', direction: 'DESC' };

/** A provider-neutral batch filter (the GraphQL `BatchFilter`, with dates parsed). */
export interface BatchListFilter {
  providers?: readonly ProviderName[];
  statuses?: readonly BatchStatus[];
  /**
   * Only batches whose provider-defined `batchType` is one of these (a provider whose batches have no
   * type has none that match). Filled by a provider's `listFilter` from its own filter fields.
   */
  batchTypes?: readonly string[];
  /** true: only batches with pending records (`pendingRecords` above 0); false: only batches without. */
  hasPendingResources?: boolean;
  /** Inclusive lower bound on `createdAt`. */
  createdAfter?: Date;
  /** Exclusive upper bound on `createdAt`. */
  createdBefore?: Date;
  /**
   * The parts only the ledger can answer (`LEDGER_ONLY_FILTERS`): a list with any of them is read from the ledger
   * for every provider, never by walking provider lists (docs/ledger.md, "Counts, filters and search").
   * Inclusive lower bound on when the batch finished (`completedAt`, else when batchql first saw it finished).
   */
  finishedAfter?: Date;
  /** Exclusive upper bound on when the batch finished. */
  finishedBefore?: Date;
  /** Batches whose name or provider id contains this (case-insensitive), or whose provider id it is. */
  search?: string;
  /** Batches whose health (as the ledger knows it now: docs/live-progress.md, "Batch health") is one of these. */
  health?: readonly BatchHealth[];
  /** Batches whose failure rate (failed ÷ processed, of the ledger's latest reading) is above this, 0 to 1. */
  failureRateAbove?: number;
}

/** The filter parts only the ledger can answer. */
const LEDGER_ONLY_FILTERS = ['finishedAfter', 'finishedBefore', 'search', 'health', 'failureRateAbove'] as const;

/** True when `filter` has a part only the ledger can answer. */
export function needsLedger(filter: BatchListFilter): boolean {
  return LEDGER_ONLY_FILTERS.some((part) => filter[part] !== undefined);
}

/**
 * Where an upstream page starts: the provider's own token (a cursor or an offset; null for
 * the first page) and the page size it was asked with.
 */
export interface PageRef {
  token: string | number | null;
  size: number;
}

/** One upstream list page, mapped to the domain. */
export interface ListPage {
  items: Batch[];
  /** The token of the following page, or null when this is the last one. */
  next: string | number | null;
  /**
   * How many batches match the pushed-down filter upstream, when the provider says (null: it does not);
   * undefined: not counted again for this page (the list keeps the total its cursor carries).
   */
  total: number | null | undefined;
}

/** How a provider would serve a list: the parameters pushed down to it, or why it cannot. */
export type ListPlan =
  | {
      ok: true;
      /** Upstream query parameters carrying the pushed-down filter and order. */
      pushdown: Readonly<Record<string, string>>;
      /** True when the pushdown expresses the whole filter, so upstream totals are exact. */
      exact: boolean;
    }
  | { ok: false; reason: 'ORDER_NOT_SUPPORTED' | 'FILTERED_OUT'; message: string };

/**
 * True when `batch` passes every part of `filter` (the gateway re-checks what was pushed down). The ledger-only
 * parts are left to the store, which is the only source of lists that have them.
 */
export function matchesFilter(batch: Batch, filter: BatchListFilter): boolean {
  if (filter.providers && !filter.providers.includes(batch.provider)) return false;
  if (filter.statuses && !filter.statuses.includes(batch.status)) return false;
  // Provider models that have these fields carry them under these names; a model without them matches none.
  const extra = batch as { batchType?: string | null; pendingRecords?: number | null };
  if (filter.batchTypes) {
    const type = extra.batchType ?? null;
    if (type === null || !filter.batchTypes.includes(type)) return false;
  }
  if (filter.hasPendingResources !== undefined) {
    const pending = (extra.pendingRecords ?? 0) > 0;
    if (pending !== filter.hasPendingResources) return false;
  }
  const created = batch.createdAt?.getTime() ?? null;
  if (filter.createdAfter && (created === null || created < filter.createdAfter.getTime())) return false;
  if (filter.createdBefore && (created === null || created >= filter.createdBefore.getTime())) return false;
  return true;
}

/**
 * True when no batch after `batch` in a stream ordered by `order` can pass the created-date bounds,
 * so the stream can stop without reading further pages.
 */
export function isPastCreatedBound(batch: Batch, filter: BatchListFilter, order: ListOrder): boolean {
  if (order.field !== 'CREATED_AT' || batch.createdAt === null) return false;
  const t = batch.createdAt.getTime();
  if (order.direction === 'DESC') return filter.createdAfter !== undefined && t < filter.createdAfter.getTime();
  return filter.createdBefore !== undefined && t >= filter.createdBefore.getTime();
}

/**
 * The sort key of a batch for `field`, in epoch milliseconds, or null. A ledger row without a creation time
 * (a provider whose status has none) sorts by when batchql first saw it (`knownSince`), as the ledger orders it.
 */
export function sortKey(batch: Batch, field: OrderField): number | null {
  const date =
    field === 'CREATED_AT'
      ? (batch.createdAt ?? batch.knownSince ?? null)
      : field === 'STARTED_AT'
        ? batch.startedAt
        : batch.completedAt;
  return date ? date.getTime() : null;
}

/**
 * Orders the heads of two different providers' streams: by the order's key with nulls last in
 * both directions (as cursor-paged providers sort), then by the providers' list rank (`rank`) as the tie-break.
 */
export function compareAcrossProviders(
  a: Batch,
  b: Batch,
  order: ListOrder,
  rank: (provider: ProviderName) => number,
): number {
  const ka = sortKey(a, order.field);
  const kb = sortKey(b, order.field);
  if (ka !== kb) {
    if (ka === null) return 1;
    if (kb === null) return -1;
    return order.direction === 'ASC' ? ka - kb : kb - ka;
  }
  return rank(a.provider) - rank(b.provider);
}
