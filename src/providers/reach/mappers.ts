/**
 * The parent models of Reach's GraphQL types, each exported under its GraphQL type's name: codegen maps every
 * type exported here (`codegen.ts`, `providerMappers`).
 */
import type { BatchConnectionModel, BatchEdgeModel } from '../../graphql/connections/batch-list.js';

export type { ReachBatch } from './model.js';
export type ReachBatchConnection = BatchConnectionModel;
export type ReachBatchEdge = BatchEdgeModel;
