/**
 * The parent models of Check's GraphQL types, each exported under its GraphQL type's name: codegen maps every
 * type exported here (`codegen.ts`, `providerMappers`).
 */
import type { BatchConnectionModel, BatchEdgeModel } from '../../graphql/connections/batch-list.js';
import type { NestedConnection } from '../../graphql/connections/nested.js';
import type { FactCheckItem as Item } from './model.js';

export type { FactCheckBatch, FactCheckItem } from './model.js';
export type FactCheckBatchConnection = BatchConnectionModel;
export type FactCheckBatchEdge = BatchEdgeModel;
export type FactCheckItemConnection = NestedConnection<Item>;
export type FactCheckItemEdge = FactCheckItemConnection['edges'][number];
