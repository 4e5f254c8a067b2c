/** The providers batchql fronts; values equal the GraphQL `BatchProvider` enum. */
export type ProviderName = 'REACH' | 'GAMEBALL' | 'FACT_CHECK';

/** Every provider, in the order `Query.providers` lists them. */
export const PROVIDER_NAMES: readonly ProviderName[] = ['REACH', 'GAMEBALL', 'FACT_CHECK'];

/** The unified status vocabulary; values equal the GraphQL `BatchStatus` enum. */
export type BatchStatus =
  'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'PARTIALLY_SUCCEEDED' | 'FAILED' | 'CANCELLED' | 'UNKNOWN';

/** Statuses after which a batch no longer changes (Reach pending records aside, see `isTerminal`). */
export const FINISHED_STATUSES: ReadonlySet<BatchStatus> = new Set([
  'SUCCEEDED',
  'PARTIALLY_SUCCEEDED',
  'FAILED',
  'CANCELLED',
]);

/** Item counts normalised across providers. */
export interface BatchProgress {
  total: number | null;
  processed: number;
  succeeded: number | null;
  failed: number;
  pending: number;
  /** 0-100, or null when the total is unknown. */
  percent: number | null;
  /** Items processed per second, derived by the poll hub from observed history (subscriptions only). */
  ratePerSecond?: number | null;
  /** When the batch should finish at the observed rate (subscriptions only). */
  estimatedCompletionAt?: Date | null;
}

/** Fields every provider's batch has, in provider-neutral form. */
export interface BatchCommon {
  providerBatchId: string;
  status: BatchStatus;
  providerStatus: string;
  isTerminal: boolean;
  progress: BatchProgress;
  createdAt: Date | null;
  startedAt: Date | null;
  completedAt: Date | null;
  errorMessage: string | null;
  /** When the gateway read this state from the provider. */
  observedAt: Date;
  /**
   * Set by the poll hub when this is not a fresh reading: the latest poll failed, or the next one is
   * more than an interval overdue (`staleReason` says which); false again with the next reading.
   */
  stale?: boolean;
  /** Set by the poll hub with `stale`: why the state may be out of date; null (or absent) when fresh. */
  staleReason?: StaleReason | null;
  /**
   * Set by the poll hub: when it plans the next upstream read of this batch (never in the past when
   * sent; null when unknown, as while an overdue read is still under way).
   */
  nextRefreshAt?: Date | null;
}

/**
 * Why a subscription's state may be out of date; values equal the GraphQL `StaleReason` enum.
 * `POLL_FAILED`: the latest poll failed. `BUDGET_WAIT`: the next read is overdue, waiting for the
 * provider's request budget. `OVERDUE`: the next read is overdue for another reason (a slow provider).
 */
export type StaleReason = 'POLL_FAILED' | 'BUDGET_WAIT' | 'OVERDUE';

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
export interface ReachBatch extends BatchCommon {
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

/** One Gameball result or error item; fields are best-effort, `raw` is the item verbatim. */
export interface GameballItem {
  customerId: string | null;
  amount: number | null;
  points: number | null;
  transactionId: string | null;
  message: string | null;
  code: number | null;
  raw: Record<string, unknown>;
}

/** A Gameball batch: the common fields plus everything Gameball returns. */
export interface GameballBatch extends BatchCommon {
  provider: 'GAMEBALL';
  providerProgress: number | null;
  totalItems: number | null;
  processedItems: number | null;
  failedItems: number | null;
  results: GameballItem[];
  itemErrors: GameballItem[];
}

/** A Check batch: the common fields plus everything Check returns. */
export interface FactCheckBatch extends BatchCommon {
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

/** A batch from any provider, discriminated by `provider`. */
export type Batch = ReachBatch | GameballBatch | FactCheckBatch;

/** Derives `percent` (0-100, two decimals) from counts; null when the total is unknown or zero-safe. */
export function percentOf(processed: number, total: number | null): number | null {
  if (total === null) return null;
  if (total <= 0) return 100;
  return Math.round(Math.min(100, (processed / total) * 100) * 100) / 100;
}
