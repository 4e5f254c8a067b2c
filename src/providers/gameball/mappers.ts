/**
 * The parent models of Gameball's GraphQL types, each exported under its GraphQL type's name: codegen maps every
 * type exported here (`codegen.ts`, `providerMappers`).
 */
import type { GameballItem } from './model.js';

export type { GameballBatch } from './model.js';
export type GameballBatchResult = GameballItem;
export type GameballBatchItemError = GameballItem;
