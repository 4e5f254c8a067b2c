import { DateTimeResolver, JSONResolver } from 'graphql-scalars';
import { GraphQLScalarType } from 'graphql';
import { createGraphQLError } from 'graphql-yoga';
import type { Resolvers } from '../__generated__/resolvers-types.js';
import type { ServedProvider } from '../served-provider.js';
import { batchResolvers } from './Batch.js';
import { Mutation } from './Mutation.js';
import { Query } from './Query.js';
import { Subscription } from './Subscription.js';
import { listQueries } from './lists.js';
import { AuditEntry, auditLogQuery, BatchLedgerEntry } from './audit-log.js';
import { countsQuery, timelineResolvers } from './history.js';
import { WebhookDelivery, WebhookEndpoint, webhookMutations, webhookQueries } from './webhooks.js';
import { consoleQuery } from './console.js';

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

/**
 * Every resolver of the schema for a gateway serving `providers`: the core's, then each provider's own
 * (`ProviderSchema.resolvers`) merged in field by field, so a provider adds fields to `Query`, `Mutation`
 * or its batch type without replacing the core's.
 */
export function createResolvers(providers: readonly ServedProvider[]): Resolvers {
  const merged: Record<string, object> = {
    DateTime: DateTimeResolver,
    JSON: JSONResolver,
    File: FileScalar,
    Query: { ...Query, ...listQueries, ...auditLogQuery, ...countsQuery, ...webhookQueries, ...consoleQuery },
    Mutation: { ...Mutation, ...webhookMutations },
    Subscription,
    ...batchResolvers(providers),
    AuditEntry,
    BatchLedgerEntry,
    ...timelineResolvers,
    WebhookEndpoint,
    WebhookDelivery,
  };
  for (const provider of providers)
    for (const [type, fields] of Object.entries(provider.schema.resolvers ?? {}))
      merged[type] = { ...merged[type], ...fields };
  return merged as Resolvers;
}
