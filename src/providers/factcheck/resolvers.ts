import type {
  FactCheckBatchResolvers,
  FactCheckItemResolvers,
  MutationResolvers,
  QueryResolvers,
} from '../../graphql/__generated__/resolvers-types.js';
import { resolveBatchList } from '../../graphql/connections/batch-list.js';
import { offsetItems } from '../../graphql/connections/nested.js';
import { uploadFile } from '../../graphql/mutations/batch-writes.js';
import { runWrite } from '../../graphql/mutations/run-write.js';
import { submitting } from '../../graphql/resolvers/Mutation.js';
import { toFilter } from '../../graphql/resolvers/lists.js';
import type { ProviderSchema } from '../../graphql/served-provider.js';
import { listCost, writeCost, type CostTable } from '../../graphql/cost-table.js';
import { toFactCheckSubmit, toFactCheckUpload } from './inputs.js';
import type { FactCheckItem as Item } from './model.js';

const Query: Pick<QueryResolvers, 'factCheckBatches'> = {
  factCheckBatches: (_, args, ctx, info) =>
    resolveBatchList(
      ctx,
      info,
      { field: 'factCheckBatches', candidates: ['FACT_CHECK'], partial: false },
      { ...args, filter: toFilter(ctx, args.filter), order: null },
    ),
};

const Mutation: Pick<MutationResolvers, 'submitFactCheckBatch' | 'uploadFactCheckFile'> = {
  submitFactCheckBatch: (_, args, ctx, info) =>
    runWrite(
      ctx,
      info,
      args,
      submitting(ctx, info, () => toFactCheckSubmit(args.input)),
    ),
  uploadFactCheckFile: (_, args, ctx, info) =>
    runWrite(ctx, info, args, { send: () => uploadFile(ctx, toFactCheckUpload(args.file)) }),
};

/** Check's item results, read page by page from `GET /v1/batch/:id/results`. */
const FactCheckBatch: Pick<FactCheckBatchResolvers, 'items'> = {
  items: (batch, args, ctx) =>
    offsetItems<Item>(ctx, 'FACT_CHECK', `FactCheckBatch.items:${batch.providerBatchId}`, batch.providerBatchId, args),
};

const ITEM_STATUSES = new Set(['PENDING', 'QUEUED', 'PROCESSING', 'COMPLETED', 'FAILED', 'SKIPPED']);
const DECISIONS = new Set(['ACCEPT', 'REJECT', 'ESCALATE']);

/** Check item words to enums; unknown words become UNKNOWN (status) or null (decision). */
const FactCheckItem: FactCheckItemResolvers = {
  status: (item) => {
    const word = item.status.toUpperCase();
    return (ITEM_STATUSES.has(word) ? word : 'UNKNOWN') as 'UNKNOWN';
  },
  statusRaw: (item) => item.status,
  decision: (item) => {
    const word = item.decision?.toUpperCase();
    return word && DECISIONS.has(word) ? (word as 'ACCEPT') : null;
  },
};

/** Worst cases of Check's own fields. */
const costs: CostTable = {
  'Query.factCheckBatches': listCost(['FACT_CHECK']),
  // A submit is the write and one read-back; an upload is one call.
  'Mutation.submitFactCheckBatch': writeCost('FACT_CHECK', 2),
  'Mutation.uploadFactCheckFile': writeCost('FACT_CHECK', 1),
  // One results page per parent; `last` without `before` must learn the total first: two.
  'FactCheckBatch.items': {
    calls: (a) => (a.last != null && a.before == null ? 2 : 1),
    by: (a) => ({ FACT_CHECK: a.last != null && a.before == null ? 2 : 1 }),
  },
};

/** Check's part of the schema: its SDL (read by the definition), resolvers and costs. */
export function factCheckSchema(typeDefs: string): ProviderSchema {
  return { typeDefs, resolvers: { Query, Mutation, FactCheckBatch, FactCheckItem }, costs };
}
