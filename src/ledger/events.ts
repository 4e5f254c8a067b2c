import type { BatchHealth, BatchStatus, StaleReason } from '../domain/batch.js';
import type { AuditOutcome } from './audit.js';

/** The kinds of timeline events; values equal the GraphQL `BatchEventKind` enum. */
export type TimelineKind = 'STATUS' | 'PROGRESS' | 'WRITE' | 'WEBHOOK' | 'STALE' | 'EXPIRED' | 'HEALTH';

/** The counts of the reading an event came from. */
export interface EventCounts {
  processed: number;
  failed: number;
  total: number | null;
}

/** An event told to the ledger by the gateway's parts (status changes and samples it derives itself). */
export type TimelineInput =
  | {
      kind: 'WRITE';
      at: Date;
      mutation: string;
      subject: string | null;
      tenant: string | null;
      outcome: AuditOutcome;
      code: string | null;
    }
  | { kind: 'WEBHOOK'; at: Date; type: string; status: BatchStatus }
  | { kind: 'STALE'; at: Date; reason: StaleReason }
  | { kind: 'EXPIRED'; at: Date }
  | { kind: 'HEALTH'; at: Date; health: BatchHealth; previousHealth: BatchHealth | null; reason: string | null };

/** One stored event of a batch's timeline, as `Batch.timeline` answers it. */
export interface TimelineEvent {
  id: number;
  at: Date;
  kind: TimelineKind;
  /** The status after a status change, the confirmed status of a webhook. */
  status: BatchStatus | null;
  /** The status before a status change (null: the first the ledger saw). */
  previousStatus: BatchStatus | null;
  providerStatus: string | null;
  counts: EventCounts | null;
  /** A write's. */
  mutation: string | null;
  subject: string | null;
  tenant: string | null;
  outcome: AuditOutcome | null;
  code: string | null;
  /** A webhook's event type. */
  webhookType: string | null;
  /** A stale period's reason, and its end (null while it lasts). */
  staleReason: StaleReason | null;
  endedAt: Date | null;
  /** A health change's health, the one before (null: the first batchql judged) and its reason. */
  health: BatchHealth | null;
  previousHealth: BatchHealth | null;
  healthReason: string | null;
}

/** A batch's health as the ledger stored it: the verdict and when it was last judged (epoch ms). */
export interface StoredHealth {
  health: BatchHealth;
  since: number;
  reason: string | null;
  at: number;
}

/** One point of `Batch.progressSeries`. */
export interface ProgressPoint {
  at: Date;
  processed: number;
  failed: number;
  total: number | null;
}

const MINUTE = 60_000;

/**
 * How progress samples are thinned as they age (docs/ledger.md, "Timelines"): every reading while younger than
 * the first tier's age; then the first sample of each `bucketMs` (one a minute); past an hour, one per ten
 * minutes. A batch that runs for D hours keeps at most the last ten minutes' readings, 50 and 6·D samples.
 * Status changes are never thinned: they carry the counts of the readings that changed the status.
 */
export const SAMPLE_TIERS: readonly { olderThanMs: number; bucketMs: number }[] = [
  { olderThanMs: 10 * MINUTE, bucketMs: MINUTE },
  { olderThanMs: 60 * MINUTE, bucketMs: 10 * MINUTE },
];
