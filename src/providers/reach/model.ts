/** Reach's batches in the domain: the common fields plus everything Reach returns. */
import type { Batch } from '../../domain/batch.js';
import type { WriteRequest } from '../../domain/writes.js';

export type ReachBatchType =
  'PARTNER_RESOURCE_JSON_INGEST' | 'PARTNER_RESOURCE_BATCH_DELETE' | 'PARTNER_RESOURCE_BATCH_PATCH';

/** A Reach resource stored as pending until its `$ref` dependencies arrive or it expires. */
export interface ReachPendingResource {
  id: string;
  resourceExternalId: string;
  schemaDefinitionId: string;
  schemaName: string | null;
  missingDependencies: { schemaDefinitionId: string; schemaName: string | null; externalId: string }[];
  expiresAt: Date | null;
  createdAt: Date | null;
}

/** A Reach batch: the common fields plus everything Reach returns. */
export interface ReachBatch extends Batch {
  provider: 'REACH';
  batchType: ReachBatchType | null;
  batchTypeRaw: string;
  schemaName: string | null;
  schemaDefinitionId: string | null;
  successRate: number | null;
  pendingRecords: number | null;
  errorSummary: { category: string; count: number }[];
  recordErrors: { externalId: string; errors: string[]; categories: string[] }[];
  /** null when Reach was not asked for (or did not send) pending details. */
  pendingResources: ReachPendingResource[] | null;
  pendingExpiresAt: Date | null;
}

/** `POST` (submit) or `PATCH` `/api/resources/{schema}/batch`. */
export interface ReachResourcesWrite extends WriteRequest {
  kind: 'REACH_SUBMIT' | 'REACH_PATCH';
  schema: string;
  resources: Record<string, unknown>[];
  /** POST only: `upsert` (default) or `reject`. */
  onConflict?: 'upsert' | 'reject';
  ignoreUnknownFields?: boolean;
  /** POST only: seconds, 0-86400. */
  dependencyWaitTimeout?: number;
}

/** `DELETE /api/resources/{schema}/batch`. */
export interface ReachDelete extends WriteRequest {
  kind: 'REACH_DELETE';
  schema: string;
  externalIds: string[];
  cascade: boolean;
  deleteAll: boolean;
  dryRun: boolean;
}

/** Every write Reach's adapter serves (its definition's `writes`). */
export type ReachWrite = ReachResourcesWrite | ReachDelete;
