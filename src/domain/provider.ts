import type { Batch, ProviderName } from './batch.js';

/** What a provider can do through this gateway; surfaced as `Query.providers`. */
export interface ProviderCapabilities {
  canList: boolean;
  canCancel: boolean;
  hasPendingDetails: boolean;
  pagination: 'CURSOR' | 'OFFSET' | null;
}

/** Per-call options of `BatchProvider.get`. */
export interface GetBatchOptions {
  /** Reach only: ask for `pendingResources` (costs the provider more, so only when selected). */
  includePendingDetails?: boolean;
  /** Aborts the upstream request (client went away, subscription ended). */
  signal?: AbortSignal;
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
  /** Releases pooled connections. */
  close(): Promise<void>;
}

/** Static description of a provider that is not configured (no base URL). */
export const PROVIDER_CAPABILITIES: Record<ProviderName, ProviderCapabilities> = {
  REACH: { canList: true, canCancel: false, hasPendingDetails: true, pagination: 'CURSOR' },
  GAMEBALL: { canList: false, canCancel: true, hasPendingDetails: false, pagination: null },
  FACT_CHECK: { canList: true, canCancel: true, hasPendingDetails: false, pagination: 'OFFSET' },
};
