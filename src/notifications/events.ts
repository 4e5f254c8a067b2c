import type { BatchStatus } from '../domain/batch.js';
import type { BatchKey } from '../ledger/batch-key.js';
import type { TimelineKind } from '../ledger/events.js';

/**
 * The event types an endpoint can ask for (docs/notifications.md, "Events"), as sent in the payload's `type`; the
 * GraphQL `WebhookEventType` enum names them in upper case with `_` for `.` (`BATCH_SUCCEEDED`). `webhook.test` is
 * sent only by `testWebhookEndpoint`, to the endpoint tested, whatever it asked for.
 */
export const EVENT_TYPES = [
  'batch.submitted',
  'batch.started',
  'batch.succeeded',
  'batch.partially_succeeded',
  'batch.failed',
  'batch.cancelled',
  'batch.stalled',
  'batch.slow',
  'batch.recovered',
  'batch.failure_rate_exceeded',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];
export const TEST_EVENT = 'webhook.test';

/** The failure rate's event: judged per endpoint, against the threshold of its filter. */
export const FAILURE_RATE_EVENT: EventType = 'batch.failure_rate_exceeded';

/**
 * A change of a batch the ledger wrote in a flush (a timeline event), as the outbox derives notifications from it:
 * in the same transaction, so an event is written exactly when its change is.
 */
export interface LedgerChange {
  key: BatchKey;
  at: number;
  kind: TimelineKind;
  /** The status after it (a status change, a progress sample), and before it (a status change; null: first seen). */
  status: string | null;
  previousStatus: string | null;
  processed: number | null;
  failed: number | null;
  /** The kind's own data: a write's mutation and outcome, a health change's health. */
  detail: Record<string, unknown> | undefined;
}

/** One notification a change makes, before endpoints are matched: its type, what makes it one, and its data. */
export interface Notice {
  type: EventType;
  key: BatchKey;
  at: number;
  /** Unique across replicas and flushes: a second replica seeing the same change adds nothing. */
  dedupeKey: string;
  detail: Record<string, unknown>;
}

const FINISHED: Record<string, EventType> = {
  SUCCEEDED: 'batch.succeeded',
  PARTIALLY_SUCCEEDED: 'batch.partially_succeeded',
  FAILED: 'batch.failed',
  CANCELLED: 'batch.cancelled',
};
const WAITING: ReadonlySet<string> = new Set<BatchStatus>(['QUEUED', 'UNKNOWN']);
const HEALTH: Record<string, EventType> = { STALLED: 'batch.stalled', SLOW: 'batch.slow' };

const batchOf = (key: BatchKey) => `${key.provider}|${key.scope}|${key.providerBatchId}`;

/**
 * The notifications of one change. Only a change batchql saw happen notifies: a status change from a status it
 * had read (a batch first seen already finished, a list of old batches, makes none), a health change its own
 * watch judged, a submission through batchql. Started and finished happen once per batch; a health change once
 * per health period (`at` is when it began).
 */
export function noticesOf(change: LedgerChange): Notice[] {
  const notice = (type: EventType, suffix = '', detail: Record<string, unknown> = {}): Notice => ({
    type,
    key: change.key,
    at: change.at,
    dedupeKey: `${type}|${batchOf(change.key)}${suffix}`,
    detail,
  });
  const { kind, status, previousStatus, detail } = change;
  if (kind === 'STATUS' && status !== null && previousStatus !== null) {
    if (FINISHED[status] && !FINISHED[previousStatus]) return [notice(FINISHED[status], '', { previousStatus })];
    if (status === 'RUNNING' && WAITING.has(previousStatus)) return [notice('batch.started')];
    return [];
  }
  if (kind === 'HEALTH' && detail) {
    const health = String(detail.health);
    const previous = detail.previousHealth === null ? null : String(detail.previousHealth);
    const data = { health, previousHealth: previous, reason: detail.reason ?? null };
    if (HEALTH[health]) return [notice(HEALTH[health], `|${change.at}`, data)];
    if (health === 'OK' && previous !== null && HEALTH[previous])
      return [notice('batch.recovered', `|${change.at}`, data)];
    return [];
  }
  if (kind === 'WRITE' && detail?.outcome === 'CREATED')
    return [
      notice('batch.submitted', '', {
        mutation: detail.mutation ?? null,
        subject: detail.subject ?? null,
        tenant: detail.tenant ?? null,
      }),
    ];
  return [];
}

/**
 * A change's failure rate (failed ÷ processed), when it carries counts and at least `minItems` were processed. Only
 * a batch seen running, or seen finishing, is judged: a list of old finished batches, first seen now, is no news.
 */
export function failureRateOf(change: LedgerChange, minItems: number): number | undefined {
  if (change.kind !== 'STATUS' && change.kind !== 'PROGRESS') return undefined;
  if (change.status !== 'RUNNING' && change.previousStatus === null) return undefined;
  if (change.processed === null || change.failed === null) return undefined;
  if (change.processed < Math.max(1, minItems)) return undefined;
  return change.failed / change.processed;
}

/** The failure-rate notice of `change` for one endpoint: once per batch and endpoint. */
export function failureRateNotice(change: LedgerChange, endpointId: string, rate: number, threshold: number): Notice {
  return {
    type: FAILURE_RATE_EVENT,
    key: change.key,
    at: change.at,
    dedupeKey: `${FAILURE_RATE_EVENT}|${batchOf(change.key)}|${endpointId}`,
    detail: { failureRate: rate, threshold, processed: change.processed, failed: change.failed },
  };
}
