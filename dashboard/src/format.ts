import type { BatchStatus, ReachBatchType } from './__generated__/graphql';
import type { BatchRowFragment } from './__generated__/graphql';

// The providers and their names come from the gateway (`Query.providers`, see provider-names.tsx).
export const STATUSES: BatchStatus[] = [
  'QUEUED',
  'RUNNING',
  'SUCCEEDED',
  'PARTIALLY_SUCCEEDED',
  'FAILED',
  'CANCELLED',
  'UNKNOWN',
];
export const STATUS_LABELS: Record<BatchStatus, string> = {
  QUEUED: 'Queued',
  RUNNING: 'Running',
  SUCCEEDED: 'Succeeded',
  PARTIALLY_SUCCEEDED: 'Partial',
  FAILED: 'Failed',
  CANCELLED: 'Cancelled',
  UNKNOWN: 'Unknown',
};
const REACH_TYPES: Record<ReachBatchType, string> = {
  PARTNER_RESOURCE_JSON_INGEST: 'Resource ingest',
  PARTNER_RESOURCE_BATCH_PATCH: 'Resource patch',
  PARTNER_RESOURCE_BATCH_DELETE: 'Resource delete',
};

/**
 * A row's title: Check's name, Reach's batch type (and schema), Gameball's kind of batch; the batch of a
 * provider this page has no words for is "<its provider's name> batch".
 */
export function batchTitle(
  batch: BatchRowFragment,
  providerName: string = batch.provider,
): { title: string; subtitle?: string } {
  switch (batch.__typename) {
    case 'FactCheckBatch':
      return { title: batch.name || 'Untitled fact-check batch' };
    case 'ReachBatch':
      return {
        title: batch.batchType ? REACH_TYPES[batch.batchType] : batch.batchTypeRaw,
        ...(batch.schemaName ? { subtitle: batch.schemaName } : {}),
      };
    case 'GameballBatch':
      return { title: 'Loyalty batch' };
    default:
      return { title: `${providerName} batch` };
  }
}

/** "Reach", "Reach and Check", "Reach, Gameball and Check". */
export function andList(words: readonly string[]): string {
  return words.length < 2 ? (words[0] ?? '') : `${words.slice(0, -1).join(', ')} and ${words.at(-1)}`;
}

const int = new Intl.NumberFormat('en-US');
export const formatInt = (n: number | null | undefined): string => (n == null ? '—' : int.format(n));

/** The finished statuses: the provider works on such a batch no more (`FINISHED_STATUSES` in the gateway). */
const FINISHED: ReadonlySet<BatchStatus> = new Set(['SUCCEEDED', 'PARTIALLY_SUCCEEDED', 'FAILED', 'CANCELLED']);
export const isFinished = (status: BatchStatus): boolean => FINISHED.has(status);

/**
 * What `progress.pending` is made of, told apart (docs/schema.md: `pending` = `total − succeeded − failed`, and
 * for Reach it also counts the records Reach stores as pending). On a finished batch the provider will never
 * process the rest, so it is "not processed", never "pending".
 */
export interface Remainder {
  /** Items an unfinished batch has still to process. */
  toProcess: number;
  /** Items a finished batch never processed (it failed or was cancelled before reaching them). */
  notProcessed: number;
  /**
   * Reach's `pendingRecords`: records processed and stored as pending because a `$ref` dependency is missing;
   * they resolve or expire (until `pendingExpiresAt`), so a finished batch with them is not terminal yet.
   */
  awaitingDependencies: number;
}

export function remainderOf(batch: BatchRowFragment): Remainder {
  const stored = batch.__typename === 'ReachBatch' ? (batch.pendingRecords ?? 0) : 0;
  const rest = Math.max(0, batch.progress.pending - stored);
  const finished = isFinished(batch.status);
  return { toProcess: finished ? 0 : rest, notProcessed: finished ? rest : 0, awaitingDependencies: stored };
}

/**
 * The rate, or why there is none. `ratePerSecond` is null until the gateway has two readings a second apart;
 * a rate of 0 before the first item is processed says nothing about the speed either: both are "measuring…"
 * on a running batch (never "0.0/min"). A batch that is not running shows a rate it has (the last one observed
 * live), else "—".
 */
export function rateText(
  progress: Pick<BatchRowFragment['progress'], 'ratePerSecond' | 'processed'>,
  running: boolean,
): string {
  const { ratePerSecond, processed } = progress;
  if (ratePerSecond == null || (ratePerSecond === 0 && processed === 0)) return running ? 'measuring…' : '—';
  return formatRate(ratePerSecond);
}

function formatRate(perSecond: number): string {
  if (perSecond >= 100) return `${Math.round(perSecond).toLocaleString('en-US')}/s`;
  if (perSecond >= 1) return `${perSecond.toFixed(1)}/s`;
  return `${(perSecond * 60).toFixed(1)}/min`;
}

/**
 * "11 of 98 errors shown (Gameball returned only 11)" when a provider lists fewer errors than it counts
 * (Gameball's `errors[]` against `failedItems`, Reach's `errors.details` against its failed records or its
 * error summary); null when every counted error is listed. "Returned only": no provider documents a cap.
 */
export function shownOf(shown: number, counted: number | null | undefined, providerName: string): string | null {
  if (counted == null || shown >= counted) return null;
  return `${formatInt(shown)} of ${formatInt(counted)} errors shown (${providerName} returned ${
    shown === 0 ? 'none of them' : `only ${formatInt(shown)}`
  })`;
}

/** "3s", "4m 05s", "2h 10m". */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h ${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d`;
}

// Every time shown carries its zone: the viewer's own, by its short name ("12:11:48 UTC", "13:11:48 CET").
const timeFormat = new Intl.DateTimeFormat('en-GB', {
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  timeZoneName: 'short',
});
const dateTimeFormat = new Intl.DateTimeFormat('en-GB', {
  day: 'numeric',
  month: 'short',
  hour: '2-digit',
  minute: '2-digit',
  timeZoneName: 'short',
});
const fullFormat = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'long' });

/** A DateTime (RFC 3339 string) for a table cell, with its zone: the time alone when it is today. */
export function formatWhen(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return new Date(now).toDateString() === date.toDateString() ? timeFormat.format(date) : dateTimeFormat.format(date);
}
/** The whole instant, with its zone: "7 Dec 2026, 12:11:48 UTC". */
export const formatFull = (iso: string | null | undefined): string => {
  if (!iso) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : fullFormat.format(date);
};
/** The viewer's time zone by its short name ("UTC", "CET", "GMT-5"): the zone of the created-range inputs. */
export const zoneName = (at = new Date()): string =>
  timeFormat.formatToParts(at).find((part) => part.type === 'timeZoneName')?.value ?? 'local time';

export const formatPercent = (p: number | null | undefined): string =>
  p == null ? '—' : `${p >= 99.95 || p < 0.05 ? Math.round(p) : p.toFixed(1)}%`;

/** `<input type="datetime-local">` value (local time) ↔ RFC 3339 instant. */
export const localInputToIso = (value: string): string | undefined => {
  if (!value) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
};
