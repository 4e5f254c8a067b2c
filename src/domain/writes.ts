/**
 * The write operations in provider-neutral form: what a mutation asks an adapter to do, and what
 * comes back. Each request names its kind; a provider definition lists the kinds its adapter serves
 * (`ProviderDefinition.writes`), so the GraphQL layer finds the provider without naming it.
 */

/** Every kind of write. */
export type WriteKind =
  'FACT_CHECK_SUBMIT' | 'FACT_CHECK_UPLOAD' | 'GAMEBALL_SUBMIT' | 'REACH_SUBMIT' | 'REACH_PATCH' | 'REACH_DELETE';

/** A Check item: its content, Check's own per-item idempotency key, and a context object. */
export interface FactCheckItemInput {
  content: string;
  idempotencyKey?: string;
  context?: unknown;
}

/** Check's batch options (documented ranges are checked by the adapter). */
export interface FactCheckOptions {
  timeout?: number;
  minConfidence?: number;
  acceptThreshold?: number;
  escalateThreshold?: number;
  maxRetries?: number;
  retryOnLowConfidence?: boolean;
}

/** `POST /v1/batch`: items or an uploaded file's id. */
export interface FactCheckSubmit {
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
export interface FactCheckUpload {
  kind: 'FACT_CHECK_UPLOAD';
  file: Blob;
  fileName: string;
  contentType?: string;
}

/** Gameball's batch operations, as their path segments. */
export type GameballOperation =
  | 'customers'
  | 'orders'
  | 'orders/transactions'
  | 'balance-inquiry'
  | 'balance-adjustment'
  | 'cashback'
  | 'redeem'
  | 'events';

/** `POST /api/v4.0/integrations/batch/<operation>` with `{"body": items}`. */
export interface GameballSubmit {
  kind: 'GAMEBALL_SUBMIT';
  operation: GameballOperation;
  items: unknown[];
}

/** `POST` (submit) or `PATCH` `/api/resources/{schema}/batch`. */
export interface ReachResourcesWrite {
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
export interface ReachDelete {
  kind: 'REACH_DELETE';
  schema: string;
  externalIds: string[];
  cascade: boolean;
  deleteAll: boolean;
  dryRun: boolean;
}

/** Any write request. */
export type WriteRequest = FactCheckSubmit | FactCheckUpload | GameballSubmit | ReachResourcesWrite | ReachDelete;

/** A file Check stored for a later batch. */
export interface UploadedFile {
  fileId: string;
  originalFileName: string | null;
  itemCount: number | null;
  validationErrors: { row: number; message: string }[];
  expiresAt: Date | null;
}

/** What a write produced: a batch, a synchronous preview (Reach dry-run delete) or a stored file. */
export type WriteOutcome =
  /** `bodyProblems`: what else in the 2xx did not match the docs (logged; the readable id makes it accepted). */
  | { kind: 'batch'; providerBatchId: string; bodyProblems?: string[] }
  | { kind: 'preview'; preview: unknown }
  | { kind: 'file'; file: UploadedFile };

/** Per-call options of writes. */
export interface WriteOptions {
  /** Reach only: the tenant to act for, from the caller's verified token (never from client input). */
  tenant?: string;
  /**
   * What the write is for (its operation, `providers/call-context.ts`). A write not yet sent when it
   * aborts is not sent; once sent it is never abandoned (`policy.ts`), so callers pass one that does not
   * abort (`RequestBudget.writeSignal`).
   */
  signal?: AbortSignal;
  /**
   * The write's marker (`writes/write-scope.ts`), for providers that keep one with the batch (Check puts it in
   * `context`), so a retry whose first outcome is unknown can find the batch (`BatchProvider.findWrite`).
   */
  marker?: string;
}

/** What looking for an earlier write by its marker found. */
export type FoundWrite =
  | { kind: 'found'; providerBatchId: string }
  /** Surely absent: every batch created since the attempt was listed, and no candidate carried the marker. */
  | { kind: 'absent' }
  /** Could not tell (too many candidates or pages); `reason` is client-safe. */
  | { kind: 'unknown'; reason: string };

/** Options of `BatchProvider.findWrite`. */
export interface FindWriteOptions {
  signal?: AbortSignal;
  tenant?: string;
  /** Charges one upstream call to the caller's request budget (throws when it is spent); called before each. */
  charge: () => void;
}
