import type { operations } from './__generated__/openapi.js';

/** `GET /api/v4.0/integrations/batches/{batchId}/status` 200 body (openapi/gameball.openapi.yaml). */
export type GameballWireBatch = operations['getBatchStatus']['responses'][200]['content']['application/json'];

/**
 * Fields of the older GitBook v4.0 rendering (docs/providers.md, Gameball, older pages), read only as a
 * fallback when the current fields are absent.
 */
export interface GameballLegacyWireBatch {
  operation?: string;
  finishedCount?: number;
  errorCount?: number;
  totalCount?: number;
  startedAt?: string;
  createdAt?: string;
  completedAt?: string;
  /** "May have one or both cases": succeeded and failed items (v3 shape), or a plain list. */
  response?: { successful?: unknown[]; failed?: unknown[] } | unknown[];
}

/** Gameball's error envelope `{code, type, message, documentationUrl?, requestId?}`. */
export interface GameballWireError {
  code?: number;
  type?: string;
  message?: string;
  documentationUrl?: string;
  requestId?: string;
}

/** The item shape batchql assumes for `results[]`/`errors[]` (docs/providers.md, assumptions). */
export interface GameballWireItem {
  customerId?: string | number;
  amount?: number;
  points?: number;
  transactionId?: string;
  gameballTransactionId?: string;
  message?: string;
  code?: number;
}
