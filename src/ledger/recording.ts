import type { Batch } from '../domain/batch.js';
import { credentialScope, type BatchProvider, type Providers } from '../domain/provider.js';
import type { Ledger } from './ledger.js';

/** The fields a read by id lacks: the pending details, unless they were asked for. */
export function readLacks(provider: BatchProvider, includePendingDetails: boolean | undefined): readonly string[] {
  return includePendingDetails ? [] : (provider.capabilities.pendingDetailFields ?? []);
}

/**
 * A provider whose every reading (reads by id, list pages: whatever asks, a query, a poll, a bulk refresh, a
 * read-back) is told to the ledger as it comes back. The ledger adds no upstream call of its own; a failed
 * read tells it nothing. The caller's tenant, when the call carries one, is the sighting's viewer.
 */
function recording(provider: BatchProvider, ledger: Ledger): BatchProvider {
  const { get, listPage } = provider;
  const rowLacks = provider.capabilities.listRowLacks ?? [];
  const see = (batch: Batch, tenant: string | undefined, lacks: readonly string[]) =>
    ledger.observe(batch, { scope: credentialScope(provider, tenant), viewer: tenant ?? '', lacks });
  return {
    ...provider,
    get: async (id, options = {}) => {
      const batch = await get.call(provider, id, options);
      see(batch, options.tenant, readLacks(provider, options.includePendingDetails));
      return batch;
    },
    ...(listPage
      ? {
          listPage: async (pushdown, ref, options = {}) => {
            const page = await listPage.call(provider, pushdown, ref, options);
            const lacks = [...rowLacks, ...readLacks(provider, options.includePendingDetails)];
            for (const batch of page.items) see(batch, options.tenant, lacks);
            return page;
          },
        }
      : {}),
  };
}

/** Every provider, recording into `ledger`. */
export function recordingAll(providers: Providers, ledger: Ledger): Providers {
  return Object.fromEntries(
    Object.entries(providers).map(([name, provider]) => [name, recording(provider, ledger)]),
  ) as Providers;
}
