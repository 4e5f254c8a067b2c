import { DateTimeResolver, JSONResolver } from 'graphql-scalars';
import type { Resolvers } from '../__generated__/resolvers-types.js';
import { batchResolvers } from './Batch.js';
import { Query } from './Query.js';

/** Every resolver of the schema. */
export const resolvers: Resolvers = {
  DateTime: DateTimeResolver,
  JSON: JSONResolver,
  Query,
  ...batchResolvers,
};
