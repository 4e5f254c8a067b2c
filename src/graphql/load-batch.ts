import type { GraphQLResolveInfo } from 'graphql';
import type { GraphQLContext } from './context.js';
import type { Batch, ProviderName } from '../domain/batch.js';
import { badInput, notConfigured } from '../domain/errors.js';
import type { BatchProvider } from '../domain/provider.js';
import { wantsPendingDetails } from './selection.js';

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
 * reaches an upstream).
 */
export function loadBatch(
  ctx: GraphQLContext,
  info: GraphQLResolveInfo,
  provider: ProviderName,
  providerBatchId: string,
): Promise<Batch> {
  let adapter: BatchProvider;
  try {
    adapter = resolveTarget(ctx, provider, providerBatchId);
  } catch (error) {
    return Promise.reject(error);
  }
  const includePendingDetails = wantsPendingDetails(info, adapter.capabilities);
  return ctx.loaders.batch(provider).load({ providerBatchId, includePendingDetails });
}
