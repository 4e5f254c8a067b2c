import type { ProviderName } from '../domain/batch.js';

/** The key of one batch in one credential scope: a row of the ledger, and its timeline. */
export interface BatchKey {
  provider: ProviderName;
  scope: string;
  providerBatchId: string;
}
