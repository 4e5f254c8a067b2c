import type { ProviderName } from '../domain/batch.js';

/** What one subscriber watches. */
export interface WatchTarget {
  provider: ProviderName;
  providerBatchId: string;
  /** Reach: read pending resources too (the subscription selects them). */
  includePendingDetails: boolean;
  /**
   * Bulk-refreshed providers: the subscription selects fields only the single-batch read returns
   * (`BulkRefreshCapability.detailFields`), so the watch starts with one such read.
   */
  includeDetailFields?: boolean;
  /** The credential scope: loops are never shared across scopes. */
  scope: string;
  /** Reach: the tenant the loop reads as. */
  tenant?: string;
}
