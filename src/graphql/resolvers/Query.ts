import { badInput } from '../../domain/errors.js';
import { fromGlobalId } from '../../domain/global-id.js';
import type { QueryResolvers } from '../__generated__/resolvers-types.js';
import { loadBatch } from '../load-batch.js';

/** A provider's pause (`BatchProvider.pausedUntil`) as a DateTime, or null. */
const pausedUntil = (at: number | undefined): Date | null => (at === undefined ? null : new Date(at));

/** The most ids `nodes` accepts in one call. */
const MAX_NODES = 100;
/** The oldest reading `maxAge` may accept: a day. */
const MAX_AGE_SECONDS = 86_400;

/** `maxAge` in milliseconds (undefined: not given); refused out of range or with `fresh`. */
function maxAgeOf(maxAge: number | null | undefined, fresh: boolean | null | undefined): number | undefined {
  if (maxAge == null) return undefined;
  if (!Number.isInteger(maxAge) || maxAge < 0 || maxAge > MAX_AGE_SECONDS)
    throw badInput(`maxAge must be 0 to ${MAX_AGE_SECONDS} seconds`);
  if (fresh) throw badInput('ask for `fresh` or `maxAge`, not both');
  return maxAge * 1000;
}

/** Root query fields: node lookup, batch by provider id, and provider capabilities. */
export const Query: QueryResolvers = {
  node: (_, { id, fresh, maxAge }, ctx, info) => {
    const { provider, providerBatchId } = fromGlobalId(id, ctx.gateway.providerNames);
    return loadBatch(ctx, info, provider, providerBatchId, fresh ?? false, maxAgeOf(maxAge, fresh));
  },
  nodes: (_, { ids, fresh, maxAge }, ctx, info) => {
    const age = maxAgeOf(maxAge, fresh);
    if (ids.length === 0) throw badInput('nodes(ids:) needs at least one id');
    if (ids.length > MAX_NODES) throw badInput(`nodes(ids:) accepts at most ${MAX_NODES} ids, got ${ids.length}`);
    // One promise per index: a bad or failing id becomes null plus an error at nodes.<index>.
    return ids.map((id) => {
      try {
        const { provider, providerBatchId } = fromGlobalId(id, ctx.gateway.providerNames);
        return loadBatch(ctx, info, provider, providerBatchId, fresh ?? false, age);
      } catch (error) {
        return Promise.reject(error);
      }
    });
  },
  batch: (_, { provider, providerBatchId, fresh, maxAge }, ctx, info) =>
    loadBatch(ctx, info, provider, providerBatchId, fresh ?? false, maxAgeOf(maxAge, fresh)),
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
