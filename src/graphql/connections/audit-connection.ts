import type { StoredAuditEntry } from '../../ledger/audit.js';

/** A page of the audit log (GraphQL `AuditEntryConnection`; `resolvers/audit-log.ts` makes it). */
export interface AuditConnectionModel {
  edges: { cursor: string; node: StoredAuditEntry }[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
}
