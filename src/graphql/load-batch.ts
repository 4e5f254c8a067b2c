import type { GraphQLResolveInfo } from 'graphql';
import { scopeOf, type GraphQLContext } from './context.js';
import { pastExpiry, type Batch, type ProviderName } from '../domain/batch.js';
import { badInput, notConfigured } from '../domain/errors.js';
import type { BatchProvider } from '../domain/provider.js';
import { selectsAnyField, wantsPendingDetails } from './selection.js';

/**
 * The one check before anything reaches an upstream, for queries and subscriptions alike: the
 * provider is configured and the id has the provider's shape. Returns the adapter.
 */
export function resolveTarget(
  ctx: Pick<GraphQLContext, 'gateway'>,
  provider: ProviderName,
  providerBatchId: string,
): BatchProvider {
  const adapter = ctx.gateway.providers[provider];
  if (!adapter) throw notConfigured(provider);
  const problem = adapter.checkId(providerBatchId);
  if (problem)
    throw badInput(`Invalid ${provider} batch id ${JSON.stringify(providerBatchId.slice(0, 80))}: ${problem}`);
  return adapter;
}

/**
 * Loads one batch through this request's loader once `resolveTarget` accepts it (so garbage never
 * reaches an upstream). Unless `fresh`, a finished batch whose stored reading has every field the
 * operation selects is answered from the ledger with no upstream call (docs/ledger.md, "Finished
 * batches cost nothing"), and so is a running one whose reading is at most `maxAgeMs` old (the caller's
 * `maxAge`: "Running batches within `maxAge`"); anything else is read, and the reading is stored on its way back.
 * A stored reading past its `expiresAt` is answered marked `expired` (docs/ledger.md, "Expired batches"): the
 * provider no longer has it.
 */
export function loadBatch(
  ctx: GraphQLContext,
  info: GraphQLResolveInfo,
  provider: ProviderName,
  providerBatchId: string,
  fresh = false,
  maxAgeMs?: number,
): Promise<Batch> {
  let adapter: BatchProvider;
  try {
    adapter = resolveTarget(ctx, provider, providerBatchId);
  } catch (error) {
    return Promise.reject(error);
  }
  const includePendingDetails = wantsPendingDetails(info, adapter.capabilities);
  const read = () => ctx.loaders.batch(provider).load({ providerBatchId, includePendingDetails });
  const services = ctx.gateway.ledger;
  if (!services || fresh) return read();
  const { ledger } = services;
  return ledger.reading({ provider, scope: scopeOf(ctx, provider), providerBatchId }).then((stored) => {
    if (!stored || selectsAnyField(info, stored.lacks)) return read();
    // Readings are timed by the wall clock (`observedAt`), so their age is too.
    const young = maxAgeMs !== undefined && Date.now() - stored.readAt <= maxAgeMs;
    if (!stored.terminal && !young) return read();
    ledger.served(provider, stored.from);
    stored.batch.servedFrom = 'LEDGER';
    // Its content was read then (an equal reading since moves it on): the age a client checks.
    if (!stored.terminal) stored.batch.observedAt = new Date(stored.readAt);
    if (pastExpiry(stored.batch, services.now())) stored.batch.expired = true;
    return stored.batch;
  });
}
