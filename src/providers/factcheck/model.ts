/** Check's batches in the domain: the common fields plus everything Check returns. */
import type { Batch } from '../../domain/batch.js';
import type { WriteRequest } from '../../domain/writes.js';

/** A Check batch: the common fields plus everything Check returns. */
export interface FactCheckBatch extends Batch {
  provider: 'FACT_CHECK';
  name: string | null;
  inputFormat: 'JSON' | 'CSV' | null;
  originalFileName: string | null;
  methods: { method: string; weight: number }[];
  context: Record<string, unknown> | null;
  totalCostCents: number | null;
  totalInputTokens: number | null;
  totalOutputTokens: number | null;
  validationErrors: { row: number; message: string }[];
  expiresAt: Date | null;
}

/** One item result of a Check batch (`GET /v1/batch/{id}/results`). */
export interface FactCheckItem {
  id: string;
  itemIndex: number;
  idempotencyKey: string | null;
  content: string | null;
  itemContext: Record<string, unknown> | null;
  /** Check's item status word, verbatim (pending, queued, processing, completed, failed, skipped). */
  status: string;
  verificationId: string | null;
  verdict: string | null;
  confidence: number | null;
  /** accept, reject or escalate, verbatim. */
  decision: string | null;
  costCents: number | null;
  processingTimeMs: number | null;
  errorMessage: string | null;
  retryCount: number | null;
  createdAt: Date | null;
  completedAt: Date | null;
}

/** A Check item: its content, Check's own per-item idempotency key, and a context object. */
interface FactCheckItemInput {
  content: string;
  idempotencyKey?: string;
  context?: unknown;
}

/** Check's batch options (documented ranges are checked by the adapter). */
interface FactCheckOptions {
  timeout?: number;
  minConfidence?: number;
  acceptThreshold?: number;
  escalateThreshold?: number;
  maxRetries?: number;
  retryOnLowConfidence?: boolean;
}

/** `POST /v1/batch`: items or an uploaded file's id. */
export interface FactCheckSubmit extends WriteRequest {
  kind: 'FACT_CHECK_SUBMIT';
  name?: string;
  items?: FactCheckItemInput[];
  fileId?: string;
  /** Check method name (lowercase, as on the wire) to weight. */
  methods?: Record<string, number>;
  context?: unknown;
  options?: FactCheckOptions;
}

/** `POST /v1/batch/upload`: one CSV or JSON file, streamed from the Blob. */
export interface FactCheckUpload extends WriteRequest {
  kind: 'FACT_CHECK_UPLOAD';
  file: Blob;
  fileName: string;
  contentType?: string;
}

/** Every write Check's adapter serves (its definition's `writes`). */
export type FactCheckWrite = FactCheckSubmit | FactCheckUpload;
