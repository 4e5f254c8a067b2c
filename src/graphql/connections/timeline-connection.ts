import type { TimelineEvent } from '../../ledger/events.js';

/** A page of a batch's timeline (GraphQL `TimelineConnection`; `resolvers/history.ts` makes it). */
export interface TimelineConnectionModel {
  edges: { cursor: string; node: TimelineEvent }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
}
