import type { ProviderName } from '../providers/names.js';

export type { ProviderName } from '../providers/names.js';

/** The unified status vocabulary, in the GraphQL `BatchStatus` enum's order. */
export const BATCH_STATUSES = [
  'QUEUED',
  'RUNNING',
  'SUCCEEDED',
  'PARTIALLY_SUCCEEDED',
  'FAILED',
  'CANCELLED',
  'UNKNOWN',
] as const;

/** One of the unified statuses; values equal the GraphQL `BatchStatus` enum. */
export type BatchStatus = (typeof BATCH_STATUSES)[number];

/**
 * How a batch is moving (docs/live-progress.md, "Batch health"); values equal the GraphQL `BatchHealth` enum.
 * `STALLED`: RUNNING and no progress for the stall threshold. `SLOW`: RUNNING, and its rate over the recent window
 * is below a fraction of its own earlier rate. `UNKNOWN`: RUNNING, but nobody watches it, so batchql cannot say.
 * A batch that is not RUNNING is `OK`: it is waiting or finished, and cannot stall.
 */
export type BatchHealth = 'OK' | 'SLOW' | 'STALLED' | 'UNKNOWN';

/**
 * A batch's health: since when (null when no watch ever judged it), and why (null for `OK`). For `UNKNOWN`, since
 * its last judgment (which no longer counts).
 */
export interface HealthVerdict {
  health: BatchHealth;
  healthSince: Date | null;
  healthReason: string | null;
}

/** Statuses after which a batch no longer changes (pending records aside, see `isTerminal`). */
export const FINISHED_STATUSES: ReadonlySet<BatchStatus> = new Set([
  'SUCCEEDED',
  'PARTIALLY_SUCCEEDED',
  'FAILED',
  'CANCELLED',
]);

/** Item counts normalised across providers. */
interface BatchProgress {
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
interface BatchCommon {
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
  /** Set when this answer is the ledger's stored reading rather than a read from the provider now. */
  servedFrom?: 'PROVIDER' | 'LEDGER';
  /** Set on ledger list rows: when batchql first saw the batch (their creation order when the provider gives none). */
  knownSince?: Date;
  /**
   * When the provider says it stops keeping the batch (null: it does not say, or not yet); absent for a provider
   * that never says. batchql assumes a batch is no longer readable from then on (`pastExpiry`).
   */
  expiresAt?: Date | null;
  /**
   * Set on an answer that is the ledger's last reading of a batch past its `expiresAt`, which the provider no
   * longer keeps (docs/ledger.md, "Expired batches"); never stored with the reading.
   */
  expired?: boolean;
  /**
   * Set by the poll hub on the states it publishes: the batch's health, judged from its readings
   * (`live/health.ts`); absent on a read that no watch judged (a query then asks the ledger).
   */
  health?: BatchHealth;
  healthSince?: Date | null;
  healthReason?: string | null;
}

/**
 * Why a subscription's state may be out of date; values equal the GraphQL `StaleReason` enum.
 * `POLL_FAILED`: the latest poll failed. `BUDGET_WAIT`: the next read is overdue, waiting for the
 * provider's request budget. `OVERDUE`: the next read is overdue for another reason (a slow provider).
 */
export type StaleReason = 'POLL_FAILED' | 'BUDGET_WAIT' | 'OVERDUE';

/**
 * A batch of any provider: the common fields, and its provider's name. Each provider's model
 * (`providers/<name>/model.ts`) extends it with everything that provider returns, narrowing `provider`.
 */
export interface Batch extends BatchCommon {
  provider: ProviderName;
}

/** Whether `batch` is past its `expiresAt` at `now` (epoch ms): the provider no longer keeps it, batchql assumes. */
export function pastExpiry(batch: Pick<Batch, 'expiresAt'>, now: number): boolean {
  return batch.expiresAt != null && batch.expiresAt.getTime() <= now;
}

/** Derives `percent` (0-100, two decimals) from counts; null when the total is unknown or zero-safe. */
export function percentOf(processed: number, total: number | null): number | null {
  if (total === null) return null;
  if (total <= 0) return 100;
  return Math.round(Math.min(100, (processed / total) * 100) * 100) / 100;
}
