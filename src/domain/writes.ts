/**
 * The write operations in provider-neutral form: what a mutation asks an adapter to do, and what
 * comes back. Each request names its kind; a provider definition lists the kinds its adapter serves
 * (`ProviderDefinition.writes`), so the GraphQL layer finds the provider without naming it.
 */

/** A kind of write, named by the provider that serves it (`ProviderDefinition.writes`). */
export type WriteKind = string;

/**
 * Any write request: its kind, and the fields that kind carries. Each provider's model declares its own
 * request types (`providers/<name>/model.ts`); its resolvers build them and its adapter reads them.
 */
export interface WriteRequest {
  readonly kind: WriteKind;
}

/** A file a provider stored for a later batch. */
export interface UploadedFile {
  fileId: string;
  originalFileName: string | null;
  itemCount: number | null;
  validationErrors: { row: number; message: string }[];
  expiresAt: Date | null;
}

/** What a write produced: a batch, a synchronous preview (a dry run) or a stored file. */
export type WriteOutcome =
  /** `bodyProblems`: what else in the 2xx did not match the docs (logged; the readable id makes it accepted). */
  | { kind: 'batch'; providerBatchId: string; bodyProblems?: string[] }
  | { kind: 'preview'; preview: unknown }
  | { kind: 'file'; file: UploadedFile };

/** Per-call options of writes. */
export interface WriteOptions {
  /** Tenant-scoped providers only: the tenant to act for, from the caller's verified token (never client input). */
  tenant?: string;
  /**
   * What the write is for (its operation, `providers/call-context.ts`). A write not yet sent when it
   * aborts is not sent; once sent it is never abandoned (`policy.ts`), so callers pass one that does not
   * abort (`RequestBudget.writeSignal`).
   */
  signal?: AbortSignal;
  /**
   * The write's marker (`writes/write-scope.ts`), for providers that keep one with the batch (in a
   * free-form field), so a retry whose first outcome is unknown can find the batch (`BatchProvider.findWrite`).
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
