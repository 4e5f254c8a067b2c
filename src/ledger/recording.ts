import { pastExpiry, type Batch } from '../domain/batch.js';
import { ErrorCode, GatewayError } from '../domain/errors.js';
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
 *
 * A read by id the provider answers not found, of a batch whose stored reading is past its `expiresAt`, is answered
 * with that reading, marked `expired` and `servedFrom: 'LEDGER'` (docs/ledger.md, "Expired batches"): the provider
 * no longer keeps it, as batchql assumes. Any other failure stands (an id never seen is still `NOT_FOUND`).
 */
function recording(provider: BatchProvider, ledger: Ledger, now: () => number): BatchProvider {
  const { get, listPage } = provider;
  const rowLacks = provider.capabilities.listRowLacks ?? [];
  const see = (batch: Batch, tenant: string | undefined, lacks: readonly string[]) =>
    ledger.observe(batch, { scope: credentialScope(provider, tenant), viewer: tenant ?? '', lacks });
  /** The last reading of an expired batch, or undefined when `error` is not about one. */
  const lastReadingOf = async (error: unknown, providerBatchId: string, tenant: string | undefined) => {
    if (!(error instanceof GatewayError) || error.code !== ErrorCode.NOT_FOUND) return undefined;
    const scope = credentialScope(provider, tenant);
    const stored = await ledger.reading({ provider: provider.name, scope, providerBatchId });
    if (!stored || !pastExpiry(stored.batch, now())) return undefined;
    ledger.served(provider.name, stored.from);
    ledger.noteExpired({ provider: provider.name, scope, providerBatchId }, new Date(now()));
    return { ...stored.batch, expired: true, servedFrom: 'LEDGER' as const };
  };
  return {
    ...provider,
    get: async (id, options = {}) => {
      let batch: Batch;
      try {
        batch = await get.call(provider, id, options);
      } catch (error) {
        const last = await lastReadingOf(error, id, options.tenant);
        if (last) return last;
        throw error;
      }
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

/** Every provider, recording into `ledger`; `now` is the clock `expiresAt` is compared with. */
export function recordingAll(providers: Providers, ledger: Ledger, now: () => number = Date.now): Providers {
  return Object.fromEntries(
    Object.entries(providers).map(([name, provider]) => [name, recording(provider, ledger, now)]),
  ) as Providers;
}
