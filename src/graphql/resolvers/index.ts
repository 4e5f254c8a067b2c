import { DateTimeResolver, JSONResolver } from 'graphql-scalars';
import { GraphQLScalarType } from 'graphql';
import { createGraphQLError } from 'graphql-yoga';
import type { Resolvers } from '../__generated__/resolvers-types.js';
import type { AnyProviderDefinition } from '../../providers/index.js';
import { batchResolvers } from './Batch.js';
import { Mutation } from './Mutation.js';
import { Query } from './Query.js';
import { Subscription } from './Subscription.js';
import { factCheckBatchLists, FactCheckItem, listQueries, reachBatchLists } from './lists.js';

/**
 * yoga's multipart requests hand a `File` in; it is never an output. Anything but a file in its place (a JSON
 * object in the variables, a literal) is refused before the mutation runs, never streamed upstream.
 */
const FileScalar = new GraphQLScalarType({
  name: 'File',
  parseValue(value) {
    // A Blob by what it does (the fetch ponyfill's File is not the global Blob's subclass on every Node).
    const blob = value as Partial<Blob> | null;
    if (typeof blob?.stream === 'function' && typeof blob.size === 'number') return value;
    throw createGraphQLError('File: expected an uploaded file (a GraphQL multipart request part)', {
      extensions: { code: 'BAD_USER_INPUT' },
    });
  },
  parseLiteral() {
    throw createGraphQLError('File: a file cannot be written inline; send it as a multipart request part', {
      extensions: { code: 'BAD_USER_INPUT' },
    });
  },
});

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
    File: FileScalar,
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
