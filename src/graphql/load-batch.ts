import type { GraphQLResolveInfo } from 'graphql';
import type { GraphQLContext } from '../context.js';
import type { Batch, ProviderName } from '../domain/batch.js';
import { ErrorCode, GatewayError, badInput } from '../domain/errors.js';
import { wantsReachPendingDetails } from './selection.js';

/**
 * Loads one batch through this request's loader after checking that the provider is
 * configured and the id has the provider's shape (so garbage never reaches an upstream).
 */
export function loadBatch(ctx: GraphQLContext, info: GraphQLResolveInfo, provider: ProviderName, providerBatchId: string): Promise<Batch> {
  const adapter = ctx.providers[provider];
  if (!adapter) {
    return Promise.reject(
      new GatewayError(ErrorCode.PROVIDER_NOT_CONFIGURED, `${provider} is not configured on this gateway`, { provider }),
    );
  }
  const problem = adapter.checkId(providerBatchId);
  if (problem) return Promise.reject(badInput(`Invalid ${provider} batch id ${JSON.stringify(providerBatchId.slice(0, 80))}: ${problem}`));
  const includePendingDetails = provider === 'REACH' && wantsReachPendingDetails(info);
  return ctx.loaders.batch(provider).load({ providerBatchId, includePendingDetails });
}
