import { toGlobalId } from '../../domain/global-id.js';
import type { BatchListFilter } from '../../domain/listing.js';
import type {
  MutationResolvers,
  QueryResolvers,
  ReachBatchFilter,
  ReachBatchResolvers,
} from '../../graphql/__generated__/resolvers-types.js';
import type { GraphQLContext } from '../../graphql/context.js';
import { resolveBatchList } from '../../graphql/connections/batch-list.js';
import { arrayConnection } from '../../graphql/connections/nested.js';
import { submitBatch } from '../../graphql/mutations/batch-writes.js';
import { runWrite } from '../../graphql/mutations/run-write.js';
import { submitting } from '../../graphql/resolvers/Mutation.js';
import { toFilter, toOrder } from '../../graphql/resolvers/lists.js';
import type { ProviderSchema } from '../../graphql/served-provider.js';
import { listCost, writeCost, type CostTable } from '../../graphql/cost-table.js';
import { toReachDelete, toReachPatch, toReachSubmit } from './inputs.js';
import type { ReachBatch } from './model.js';

/** `ReachBatchFilter`: the provider-neutral fields, and `batchTypes` de-duplicated and sorted. */
function reachFilter(ctx: GraphQLContext, input: ReachBatchFilter | null | undefined): BatchListFilter {
  const filter = toFilter(ctx, input);
  if (input?.batchTypes != null) filter.batchTypes = [...new Set(input.batchTypes)].sort();
  return filter;
}

const Query: Pick<QueryResolvers, 'reachBatches'> = {
  reachBatches: (_, args, ctx, info) =>
    resolveBatchList(
      ctx,
      info,
      { field: 'reachBatches', candidates: ['REACH'], partial: false },
      { ...args, filter: reachFilter(ctx, args.filter), order: toOrder(args.orderBy) },
    ),
};

const Mutation: Pick<MutationResolvers, 'submitReachResources' | 'patchReachResources' | 'deleteReachResources'> = {
  submitReachResources: (_, args, ctx, info) =>
    runWrite(
      ctx,
      info,
      args,
      submitting(ctx, info, () => toReachSubmit(args.input)),
    ),
  patchReachResources: (_, args, ctx, info) =>
    runWrite(
      ctx,
      info,
      args,
      submitting(ctx, info, () => toReachPatch(args.input)),
    ),
  deleteReachResources: (_, args, ctx, info) =>
    runWrite(ctx, info, args, {
      send: async (marker) => {
        const { batch, preview } = await submitBatch(ctx, info, toReachDelete(args.input), marker);
        // Only Reach serves REACH_DELETE, so a batch here is a Reach batch.
        return { batch: batch as ReachBatch | null, preview: preview ?? null };
      },
    }),
};

/** Nested connections of Reach batches (the lists come whole with the batch; paged here). */
const ReachBatch: Pick<ReachBatchResolvers, 'recordErrors' | 'pendingResources'> = {
  recordErrors: (batch, args, ctx) =>
    arrayConnection(
      ctx,
      `ReachBatch.recordErrors:${toGlobalId('REACH', batch.providerBatchId)}`,
      batch.recordErrors,
      args,
    ),
  pendingResources: (batch, args, ctx) =>
    batch.pendingResources === null
      ? null
      : arrayConnection(
          ctx,
          `ReachBatch.pendingResources:${toGlobalId('REACH', batch.providerBatchId)}`,
          batch.pendingResources,
          args,
        ),
};

/** Worst cases of Reach's own fields: a list reads its pages; a write is the write and one read-back. */
const costs: CostTable = {
  'Query.reachBatches': listCost(['REACH']),
  'Mutation.submitReachResources': writeCost('REACH', 2),
  'Mutation.patchReachResources': writeCost('REACH', 2),
  'Mutation.deleteReachResources': writeCost('REACH', 2),
};

/** Reach's part of the schema: its SDL (read by the definition), resolvers, costs and list filter. */
export function reachSchema(typeDefs: string): ProviderSchema {
  return {
    typeDefs,
    resolvers: { Query, Mutation, ReachBatch },
    costs,
    // `BatchFilter.reachBatchTypes` (Reach's `extend input`), de-duplicated and sorted.
    listFilter: (input) =>
      Array.isArray(input.reachBatchTypes)
        ? { batchTypes: [...new Set(input.reachBatchTypes as string[])].sort() }
        : {},
  };
}
