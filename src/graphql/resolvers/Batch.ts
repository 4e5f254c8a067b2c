import { BATCH_TYPENAME, toGlobalId } from '../../domain/global-id.js';
import type { Batch as DomainBatch } from '../../domain/batch.js';
import type { Resolvers } from '../__generated__/resolvers-types.js';

const resolveType = (batch: DomainBatch) => BATCH_TYPENAME[batch.provider];
const id = (batch: DomainBatch) => toGlobalId(batch.provider, batch.providerBatchId);
const stale = (batch: DomainBatch) => batch.stale ?? false;

/**
 * Batch interfaces and provider types. Domain objects already carry the GraphQL field names,
 * so only the global id needs a resolver.
 */
export const batchResolvers: Pick<Resolvers, 'Node' | 'Batch' | 'ReachBatch' | 'GameballBatch' | 'FactCheckBatch'> = {
  Node: { __resolveType: resolveType },
  Batch: { __resolveType: resolveType },
  ReachBatch: { id, stale },
  GameballBatch: { id, stale },
  FactCheckBatch: { id, stale },
};
