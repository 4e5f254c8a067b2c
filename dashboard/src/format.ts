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

export function formatRate(perSecond: number | null | undefined): string {
  if (perSecond == null) return '—';
  if (perSecond >= 100) return `${Math.round(perSecond).toLocaleString('en-US')}/s`;
  if (perSecond >= 1) return `${perSecond.toFixed(1)}/s`;
  return `${(perSecond * 60).toFixed(1)}/min`;
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

const timeFormat = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit' });
const dateTimeFormat = new Intl.DateTimeFormat('en-GB', {
  day: 'numeric',
  month: 'short',
  hour: '2-digit',
  minute: '2-digit',
});
const fullFormat = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'medium' });

/** A DateTime (RFC 3339 string) for a table cell: the time alone when it is today. */
export function formatWhen(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return new Date(now).toDateString() === date.toDateString() ? timeFormat.format(date) : dateTimeFormat.format(date);
}
export const formatFull = (iso: string | null | undefined): string => {
  if (!iso) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : fullFormat.format(date);
};

export const formatPercent = (p: number | null | undefined): string =>
  p == null ? '—' : `${p >= 99.95 || p < 0.05 ? Math.round(p) : p.toFixed(1)}%`;

/** `<input type="datetime-local">` value (local time) ↔ RFC 3339 instant. */
export const localInputToIso = (value: string): string | undefined => {
  if (!value) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
};
