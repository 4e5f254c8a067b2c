import { badInput } from '../../domain/errors.js';
import { fromGlobalId } from '../../domain/global-id.js';
import type { QueryResolvers } from '../__generated__/resolvers-types.js';
import { loadBatch } from '../load-batch.js';

/** A provider's pause (`BatchProvider.pausedUntil`) as a DateTime, or null. */
const pausedUntil = (at: number | undefined): Date | null => (at === undefined ? null : new Date(at));

/** The most ids `nodes` accepts in one call. */
const MAX_NODES = 100;

/** Root query fields: node lookup, batch by provider id, and provider capabilities. */
export const Query: QueryResolvers = {
  node: (_, { id, fresh }, ctx, info) => {
    const { provider, providerBatchId } = fromGlobalId(id, ctx.gateway.providerNames);
    return loadBatch(ctx, info, provider, providerBatchId, fresh ?? false);
  },
  nodes: (_, { ids, fresh }, ctx, info) => {
    if (ids.length === 0) throw badInput('nodes(ids:) needs at least one id');
    if (ids.length > MAX_NODES) throw badInput(`nodes(ids:) accepts at most ${MAX_NODES} ids, got ${ids.length}`);
    // One promise per index: a bad or failing id becomes null plus an error at nodes.<index>.
    return ids.map((id) => {
      try {
        const { provider, providerBatchId } = fromGlobalId(id, ctx.gateway.providerNames);
        return loadBatch(ctx, info, provider, providerBatchId, fresh ?? false);
      } catch (error) {
        return Promise.reject(error);
      }
    });
  },
  batch: (_, { provider, providerBatchId, fresh }, ctx, info) =>
    loadBatch(ctx, info, provider, providerBatchId, fresh ?? false),
  providers: (_, __, ctx) =>
    ctx.gateway.definitions.map(({ name: provider, displayName, capabilities }) => ({
      provider,
      displayName,
      configured: ctx.gateway.providers[provider] !== undefined,
      ...capabilities,
      listed:
        capabilities.canList ||
        (ctx.gateway.ledger !== undefined && ctx.gateway.ledger.ledger.state().state !== 'unavailable'),
      circuit: ctx.gateway.providers[provider]?.circuit?.() ?? null,
      pausedUntil: pausedUntil(ctx.gateway.providers[provider]?.pausedUntil?.()),
    })),
};
