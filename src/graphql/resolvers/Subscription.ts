import { scopeOf, type GraphQLContext } from '../context.js';
import type { Batch } from '../../domain/batch.js';
import { ErrorCode, GatewayError, badInput } from '../../domain/errors.js';
import { fromGlobalId, toGlobalId } from '../../domain/global-id.js';
import { batchEvents, type BatchEvent } from '../../live/batch-events.js';
import { mergeLatest } from '../../live/channel.js';
import type { WatchTarget } from '../../live/poll-hub.js';
import type { SubscriptionResolvers } from '../__generated__/resolvers-types.js';
import { keyResultsBy } from '../changed-results.js';
import { resolveTarget } from '../load-batch.js';
import { selectsAnyField, wantsPendingDetails } from '../selection.js';
import type { GraphQLResolveInfo } from 'graphql';

/** The most batches one `batches` subscription watches. */
const MAX_WATCHED_IDS = 100;

/** Checks an id (malformed, unconfigured provider, impossible upstream id) before anything is watched. */
function target(ctx: GraphQLContext, info: GraphQLResolveInfo, id: string): WatchTarget & { id: string } {
  const { provider, providerBatchId } = fromGlobalId(id, ctx.gateway.providerNames);
  const adapter = resolveTarget(ctx, provider, providerBatchId);
  const detailFields = adapter.capabilities.bulkRefresh?.detailFields;
  return {
    id: toGlobalId(provider, providerBatchId),
    provider,
    providerBatchId,
    includePendingDetails: wantsPendingDetails(info, adapter.capabilities),
    ...(detailFields && selectsAnyField(info, detailFields) ? { includeDetailFields: true } : {}),
    scope: scopeOf(ctx, provider),
    ...(ctx.tenant ? { tenant: ctx.tenant } : {}),
  };
}

/**
 * Admits `slots` watched batches: within this process's `LIVE_MAX_SUBSCRIPTIONS` and the
 * client's own `LIVE_MAX_SUBSCRIPTIONS_PER_CLIENT`; the refusal names the limit. Returns the
 * release of the client's share.
 */
function admit(ctx: GraphQLContext, slots: number): () => void {
  const { subscribers } = ctx.gateway.live.hub.stats();
  if (subscribers + slots > ctx.gateway.live.maxSubscriptions) {
    throw new GatewayError(
      ErrorCode.TOO_MANY_SUBSCRIPTIONS,
      `this gateway watches at most ${ctx.gateway.live.maxSubscriptions} batches at once (LIVE_MAX_SUBSCRIPTIONS); ` +
        'try again later',
    );
  }
  return ctx.gateway.live.shares.admit(ctx.client.key, slots);
}

/** Live batch state pushed from the poll hub. */
export const Subscription: SubscriptionResolvers = {
  batch: {
    subscribe: (_, { id }, ctx, info) => {
      const t = target(ctx, info, id);
      const release = admit(ctx, 1);
      // The client's share is released when the stream ends, however it ends (no wrapper per subscriber).
      return ctx.gateway.live.hub.watch(t).onEnd(release);
    },
    resolve: (batch: Batch) => batch,
  },
  batches: {
    subscribe: (_, { ids }, ctx, info) => {
      if (ids.length === 0) throw badInput('batches(ids:) needs at least one id');
      // Deduplicated on the canonical id: two encodings of one batch are one watch and one slot.
      const targets = new Map<string, WatchTarget & { id: string }>();
      for (const id of ids) {
        const t = target(ctx, info, id);
        targets.set(t.id, t);
        if (targets.size > MAX_WATCHED_IDS) throw badInput(`batches(ids:) watches at most ${MAX_WATCHED_IDS} batches`);
      }
      const release = admit(ctx, targets.size);
      const streams = [...targets.values()].map((t) => batchEvents(t.id, ctx.gateway.live.hub.watch(t)));
      const events = mergeLatest(streams, (e) => e.id).onEnd(release);
      // Each id's results are compared with that id's last one (changed-results.ts).
      keyResultsBy(ctx, () => events.lastKey);
      return events;
    },
    resolve: (event: BatchEvent) => event,
  },
};
