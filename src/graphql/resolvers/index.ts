import { DateTimeResolver, JSONResolver } from 'graphql-scalars';
import type { Resolvers } from '../__generated__/resolvers-types.js';
import { batchResolvers } from './Batch.js';
import { Query } from './Query.js';
import { Subscription } from './Subscription.js';
import { factCheckBatchLists, FactCheckItem, listQueries, reachBatchLists } from './lists.js';

/** Every resolver of the schema. */
export const resolvers: Resolvers = {
  DateTime: DateTimeResolver,
  JSON: JSONResolver,
  Query: { ...Query, ...listQueries },
  Subscription,
  ...batchResolvers,
  ReachBatch: { ...batchResolvers.ReachBatch, ...reachBatchLists },
  FactCheckBatch: { ...batchResolvers.FactCheckBatch, ...factCheckBatchLists },
  FactCheckItem,
};
