import { batchTypeName, toGlobalId } from '../../domain/global-id.js';
import type { Batch as DomainBatch } from '../../domain/batch.js';
import type { Resolvers } from '../__generated__/resolvers-types.js';
import type { ServedProvider } from '../served-provider.js';
import type { GraphQLContext } from '../context.js';
import { ledgerEntryOf } from './audit-log.js';
import { historyFields } from './history.js';
import { healthFields } from './health.js';

const resolveType = (batch: DomainBatch) => batchTypeName(batch.provider);
const id = (batch: DomainBatch) => toGlobalId(batch.provider, batch.providerBatchId);
const stale = (batch: DomainBatch) => batch.stale ?? false;
// A stale state without a reason comes from an older replica, where stale meant a failed poll.
const staleReason = (batch: DomainBatch) => (batch.stale ? (batch.staleReason ?? 'POLL_FAILED') : null);
const nextRefreshAt = (batch: DomainBatch) => batch.nextRefreshAt ?? null;
const servedFrom = (batch: DomainBatch) => batch.servedFrom ?? 'PROVIDER';
const expired = (batch: DomainBatch) => batch.expired ?? false;
const ledger = (batch: DomainBatch, _: unknown, ctx: GraphQLContext) => ledgerEntryOf(batch, ctx);

/** The resolvers every provider's batch type has (domain objects already carry the GraphQL field names). */
const batchTypeResolvers = {
  id,
  stale,
  staleReason,
  nextRefreshAt,
  servedFrom,
  expired,
  ledger,
  ...historyFields,
  ...healthFields,
};

/**
 * The Batch and Node interfaces, and each listed provider's batch type, generated from the
 * provider list so no provider can be registered without its `id` resolver.
 */
export function batchResolvers(definitions: readonly ServedProvider[]): Resolvers {
  const resolvers: Record<string, unknown> = {
    Node: { __resolveType: resolveType },
    Batch: { __resolveType: resolveType },
  };
  // Each provider's batch type is named for it (`batchTypeName`: `FACT_CHECK` → `FactCheckBatch`), as its SDL says.
  for (const definition of definitions) resolvers[batchTypeName(definition.name)] = { ...batchTypeResolvers };
  return resolvers as Resolvers;
}
