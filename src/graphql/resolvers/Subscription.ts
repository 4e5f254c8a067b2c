import { scopeOf, type GraphQLContext } from '../../context.js';
import type { Batch } from '../../domain/batch.js';
import { ErrorCode, GatewayError, badInput } from '../../domain/errors.js';
import { fromGlobalId } from '../../domain/global-id.js';
import { mergeLatest } from '../../live/channel.js';
import type { SubscriptionResolvers } from '../__generated__/resolvers-types.js';
import { wantsReachPendingDetails } from '../selection.js';
import type { GraphQLResolveInfo } from 'graphql';

/** The most batches one `batches` subscription watches. */
export const MAX_WATCHED_IDS = 100;

/** Checks an id and the subscription limits before anything is watched. */
function target(ctx: GraphQLContext, info: GraphQLResolveInfo, id: string) {
  const { provider, providerBatchId } = fromGlobalId(id);
  const adapter = ctx.providers[provider];
  if (!adapter) throw new GatewayError(ErrorCode.PROVIDER_NOT_CONFIGURED, `${provider} is not configured on this gateway`, { provider });
  const problem = adapter.checkId(providerBatchId);
  if (problem) throw badInput(`Invalid ${provider} batch id: ${problem}`);
  return { provider, providerBatchId, includePendingDetails: provider === 'REACH' && wantsReachPendingDetails(info), scope: scopeOf(ctx, provider), ...(ctx.tenant ? { tenant: ctx.tenant } : {}) };
}

function admit(ctx: GraphQLContext, count: number): void {
  const { subscribers } = ctx.live.hub.stats();
  if (subscribers + count > ctx.live.maxSubscriptions) {
    throw new GatewayError(ErrorCode.TOO_MANY_SUBSCRIPTIONS, `this gateway serves at most ${ctx.live.maxSubscriptions} subscriptions; try again later`);
  }
}

const identity = (batch: Batch) => batch;

/** Live batch state pushed from the poll hub. */
export const Subscription: SubscriptionResolvers = {
  batch: {
    subscribe: (_, { id }, ctx, info) => {
      const t = target(ctx, info, id);
      admit(ctx, 1);
      return ctx.live.hub.watch(t);
    },
    resolve: identity,
  },
  batches: {
    subscribe: (_, { ids }, ctx, info) => {
      const unique = [...new Set(ids)];
      if (unique.length === 0) throw badInput('batches(ids:) needs at least one id');
      if (unique.length > MAX_WATCHED_IDS) throw badInput(`batches(ids:) watches at most ${MAX_WATCHED_IDS} batches, got ${unique.length}`);
      const targets = unique.map((id) => target(ctx, info, id));
      admit(ctx, targets.length);
      return mergeLatest(
        targets.map((t) => ctx.live.hub.watch(t)),
        (b) => `${b.provider}:${b.providerBatchId}`,
      );
    },
    resolve: identity,
  },
};
