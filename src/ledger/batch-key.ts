import type { ProviderName } from '../domain/batch.js';

/** The key of one batch in one credential scope: a row of the ledger, and its timeline. */
export interface BatchKey {
  provider: ProviderName;
  scope: string;
  providerBatchId: string;
}

/** A batch key as one string (a map key): its three parts, separated by a character no part holds. */
export const batchKeyText = (k: BatchKey): string => `${k.provider}\u0000${k.scope}\u0000${k.providerBatchId}`;
