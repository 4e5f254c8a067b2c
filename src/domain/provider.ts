import type { Batch, ProviderName } from './batch.js';
import type { BatchListFilter, ListOrder, ListPage, ListPlan, PageRef } from './listing.js';
import type { FindWriteOptions, FoundWrite, WriteOptions, WriteOutcome, WriteRequest } from './writes.js';

/** The configured providers' adapters, by name; an absent key means "not configured". */
export type Providers = Partial<Record<ProviderName, BatchProvider>>;

/** What a provider can do through this gateway; surfaced as `Query.providers`. */
export interface ProviderCapabilities {
  canList: boolean;
  canCancel: boolean;
  hasPendingDetails: boolean;
  /** With `hasPendingDetails`: the fields of its batch type whose values need the detailed read (`GetBatchOptions`). */
  pendingDetailFields?: readonly string[];
  pagination: 'CURSOR' | 'OFFSET' | null;
  /** The provider's data belongs to the caller's tenant: caches, cursors and poll loops are scoped by it. */
  tenantScoped: boolean;
  /** Listing providers: the page token of a list's first page (a cursor or an offset). */
  firstPageToken: string | number | null;
  /** Where its batches go among equal sort keys in merged lists (lower first). */
  listRank: number;
  /**
   * Listing providers whose list rows carry fewer fields than a read by id: the batch fields a row lacks. The
   * ledger keeps which fields each reading lacks, and answers a selection of them by reading the batch.
   */
  listRowLacks?: readonly string[];
  /** Live streams of running batches can be refreshed many at a time through the list (`live/bulk-refresh.ts`). */
  bulkRefresh?: BulkRefreshCapability;
}

/**
 * How a listing provider's list endpoint refreshes many watched batches in one call: pages filtered
 * by one provider status word carry status and counts for up to `pageSize` batches each.
 */
export interface BulkRefreshCapability {
  /** The provider status words the list can be filtered by that a watched batch may be in while it runs. */
  statuses: readonly string[];
  /** Rows per list page (the provider's maximum). */
  pageSize: number;
  /**
   * Batch fields a list row does not carry (only the single-batch read does). A refresh from the list
   * keeps their last read values; a batch whose subscription selects them is read on its own first.
   */
  detailFields: readonly string[];
}

/**
 * The credential scope of a provider's data for a caller's tenant: a tenant-scoped provider's data is scoped by
 * tenant (`tenant:<t>`), the others' have one credential set per gateway (`default`). Cached pages, cursors, poll
 * loops and ledger rows are never shared across scopes.
 */
export function credentialScope(provider: BatchProvider | undefined, tenant: string | undefined): string {
  return provider?.capabilities.tenantScoped && tenant ? `tenant:${tenant}` : 'default';
}

/** Per-call options of `BatchProvider.get`. */
interface GetBatchOptions {
  /** Providers with pending details only: ask for them (costs the provider more, so only when selected). */
  includePendingDetails?: boolean;
  /** Aborts the upstream request (client went away, subscription ended). */
  signal?: AbortSignal;
  /** Tenant-scoped providers only: the tenant to act for, from the client's verified token. */
  tenant?: string;
}

/**
 * The port every provider adapter implements. It speaks the domain model only; HTTP, wire
 * shapes and status words stay inside the adapter. Failures are thrown as `GatewayError`.
 */
export interface BatchProvider {
  readonly name: ProviderName;
  readonly capabilities: ProviderCapabilities;
  /** Returns a client-safe reason when `providerBatchId` cannot be one of this provider's ids, else null. */
  checkId(providerBatchId: string): string | null;
  /** Reads one batch fresh from upstream; throws `GatewayError` (`NOT_FOUND`, `PROVIDER_*`). */
  get(providerBatchId: string, options?: GetBatchOptions): Promise<Batch>;
  /**
   * Listing providers only: how a filtered, ordered list would be served (what is pushed down
   * upstream), or why this provider cannot contribute to it.
   */
  planList?(filter: BatchListFilter, order: ListOrder): ListPlan;
  /** Listing providers only: reads one upstream page of a planned list. */
  listPage?(pushdown: Readonly<Record<string, string>>, ref: PageRef, options?: GetBatchOptions): Promise<ListPage>;
  /**
   * Providers with per-item results only: one offset page of a batch's item results (each the provider's own
   * item model), and how many there are.
   */
  listItemResults?(
    providerBatchId: string,
    offset: number,
    limit: number,
    signal?: AbortSignal,
  ): Promise<{ items: unknown[]; total: number }>;
  /**
   * Writing providers only: performs one write of a kind its definition lists (`ProviderDefinition.writes`).
   * Checks the documented input limits first (`BAD_USER_INPUT` with field errors, no upstream call), then
   * makes one upstream attempt, never retried and never abandoned once sent. A refusal is a `GatewayError`
   * (`PROVIDER_REJECTED_INPUT`, `PROVIDER_QUOTA_EXCEEDED`, `PAYLOAD_TOO_LARGE`, `CONFLICT`); no answer in
   * time is `OUTCOME_UNKNOWN`.
   */
  write?(request: WriteRequest, options?: WriteOptions): Promise<WriteOutcome>;
  /**
   * Providers whose batches keep a write's marker (`WriteOptions.marker`) only: looks for the batch an
   * earlier `write` of `request` with `marker` created, among the batches created from `since` on. Answers
   * `absent` only when every such batch was seen; a bounded number of reads, each charged first.
   */
  findWrite?(request: WriteRequest, marker: string, since: Date, options: FindWriteOptions): Promise<FoundWrite>;
  /**
   * Cancelling providers only: cancels (stops) a batch. A finished batch is `CANNOT_CANCEL`; the outcome
   * of a call that got no answer is `OUTCOME_UNKNOWN`.
   */
  cancel?(providerBatchId: string, options?: WriteOptions): Promise<void>;
  /** Background (polling) calls per ms the provider's request budget allows; Infinity or absent: no limit. */
  pollRate?(): number;
  /**
   * Until when (ms since the epoch) the provider's own rate-limit headers hold its calls back: its
   * `X-RateLimit-Remaining` spent until `X-RateLimit-Reset`, or a 429's Retry-After (polling only),
   * each capped; undefined or absent: not paused.
   */
  pausedUntil?(): number | undefined;
  /**
   * The most interactive calls one request could get from the provider's request budget within `withinMs`
   * (its deadline); absent or Infinity: no limit. A request whose worst case is over it is refused before
   * any call (`upstream-cost.ts`).
   */
  interactiveCapacity?(withinMs: number): number;
  /** The state of the provider's circuit breaker. */
  circuit?(): 'CLOSED' | 'OPEN' | 'HALF_OPEN';
  /** Releases pooled connections. */
  close(): Promise<void>;
}
