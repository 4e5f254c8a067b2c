import type { ProviderName } from '../domain/batch.js';

/** How a write ended, as its audit entry says; values equal the GraphQL `AuditOutcome` enum. */
export type AuditOutcome = 'CREATED' | 'DONE' | 'REPLAYED' | 'REFUSED' | 'FAILED' | 'UNKNOWN';

/** One write through the gateway: who, what, under which key and request, and how it ended. */
export interface AuditEntry {
  at: Date;
  /** The mutation field (`submitFactCheckBatch`, `cancelBatch`, …). */
  mutation: string;
  provider: ProviderName | null;
  /** The batch written, when known (a refusal before the provider answered has none). */
  providerBatchId: string | null;
  /** The token's subject; null without one (`AUTH_MODE=none`). */
  subject: string | null;
  tenant: string | null;
  /** The client identity (`sub:…`, `tenant:…`, `addr:…`). */
  client: string;
  requestId: string | null;
  idempotencyKey: string | null;
  outcome: AuditOutcome;
  /** The code of a refusal, failure or unknown outcome. */
  code: string | null;
  message: string | null;
}

/** A stored audit entry: its id orders entries (newest first in `auditLog`). */
export interface StoredAuditEntry extends AuditEntry {
  id: number;
}

/** What `Query.auditLog` filters by (all optional; together they narrow). */
export interface AuditFilter {
  /** Forced to the caller's tenant unless the caller has none (`AUTH_MODE=none`). */
  tenant?: string;
  subject?: string;
  provider?: ProviderName;
  providerBatchId?: string;
  mutations?: readonly string[];
  /** Inclusive lower bound on `at`. */
  from?: Date;
  /** Exclusive upper bound on `at`. */
  to?: Date;
}
