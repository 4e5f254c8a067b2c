import { DateTimeResolver, JSONResolver } from 'graphql-scalars';
import { GraphQLScalarType } from 'graphql';
import type { Resolvers } from '../__generated__/resolvers-types.js';
import type { AnyProviderDefinition } from '../../providers/index.js';
import { batchResolvers } from './Batch.js';
import { Mutation } from './Mutation.js';
import { Query } from './Query.js';
import { Subscription } from './Subscription.js';
import { factCheckBatchLists, FactCheckItem, listQueries, reachBatchLists } from './lists.js';

/** Every resolver of the schema for a gateway serving `definitions`. */
export function createResolvers(definitions: readonly AnyProviderDefinition[]): Resolvers {
  const perType = batchResolvers(definitions);
  const own: Record<string, object> = {};
  for (const definition of definitions) {
    const extra = definition.schema?.resolvers ?? {};
    for (const [type, fields] of Object.entries(extra)) own[type] = { ...own[type], ...(fields as object) };
  }
  return {
    DateTime: DateTimeResolver,
    JSON: JSONResolver,
    // yoga's multipart requests hand a `File` in; it is never an output.
    File: new GraphQLScalarType({ name: 'File' }),
    Query: { ...Query, ...listQueries },
    Mutation,
    Subscription,
    ...perType,
    ...(own as Resolvers),
    ReachBatch: { ...perType.ReachBatch, ...reachBatchLists },
    FactCheckBatch: { ...perType.FactCheckBatch, ...factCheckBatchLists },
    FactCheckItem,
  };
}
