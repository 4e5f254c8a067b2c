import type { ProviderName } from '../domain/batch.js';
import type { BatchListFilter } from '../domain/listing.js';
import type { ProviderCapabilities } from '../domain/provider.js';
import type { WriteKind } from '../domain/writes.js';
import type { FieldCost } from './cost-table.js';

/**
 * What a provider adds to the GraphQL layer, from its own folder: the core's schema, resolvers and
 * cost table know no provider, and take each provider's part from here.
 */
export interface ProviderSchema {
  /**
   * Its SDL (`src/providers/<name>/schema.graphql`): its `BatchProvider` value (`extend enum`), its batch
   * type, its own lists, mutations and inputs (`extend type Query`, `extend type Mutation`).
   */
  typeDefs: string;
  /** Its resolvers, by GraphQL type then field, merged over the core's (its lists, mutations, nested fields). */
  resolvers?: Readonly<Record<string, object>>;
  /** The worst case of each of its fields that calls upstream, by schema coordinate (`upstream-cost.ts`). */
  costs?: Readonly<Record<string, FieldCost>>;
  /**
   * Its own fields of the merged list's `BatchFilter` (added with `extend input BatchFilter`) as parts of the
   * provider-neutral filter; fields it does not know are ignored.
   */
  listFilter?(input: Readonly<Record<string, unknown>>): Partial<BatchListFilter>;
}

/** A provider as the GraphQL layer sees it: the part of its definition (`providers/definition.ts`) it reads. */
export interface ServedProvider {
  name: ProviderName;
  /** Its name for people (`ProviderInfo.displayName`). */
  displayName: string;
  capabilities: ProviderCapabilities;
  /** The writes its adapter serves: a write request goes to the provider that lists its kind. */
  writes?: readonly WriteKind[];
  schema: ProviderSchema;
}
