import type { ProviderName } from '../domain/batch.js';

/** What one subscriber watches. */
export interface WatchTarget {
  provider: ProviderName;
  providerBatchId: string;
  /** Providers with pending details: read them too (the subscription selects them). */
  includePendingDetails: boolean;
  /**
   * Bulk-refreshed providers: the subscription selects fields only the single-batch read returns
   * (`BulkRefreshCapability.detailFields`), so the watch starts with one such read.
   */
  includeDetailFields?: boolean;
  /** The credential scope: loops are never shared across scopes. */
  scope: string;
  /** Tenant-scoped providers: the tenant the loop reads as. */
  tenant?: string;
  /**
   * Watched in the background, for nobody connected (`background.ts`): read at the background pace, by its own
   * loop (a subscriber's loop of the same batch is not slowed down by it).
   */
  background?: boolean;
}
