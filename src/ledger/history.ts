import type { Kysely } from 'kysely';
import { createLTTB } from 'downsample';
import type { BatchHealth, BatchStatus, StaleReason } from '../domain/batch.js';
import type { AuditOutcome } from './audit.js';
import type { ProgressPoint, TimelineEvent, TimelineKind } from './events.js';
import type { HealthPoint } from '../live/health.js';
import type { BatchKey } from './batch-key.js';
import type { EventRow, LedgerTables } from './tables.js';
import { isKey } from './queries.js';

/** A position in a timeline: the time and id of the last event of the previous page. */
export interface TimelinePosition {
  at: number;
  id: number;
}

/** The row number of the batch `key` (its events' `batch_seq`), as a subquery on the key's unique index. */
function seqOf(db: Kysely<LedgerTables>, key: BatchKey) {
  return db.selectFrom('ledger_batches').select('seq').where(isKey(key));
}

/** A stored event as the GraphQL event types answer it. */
function eventOf(row: EventRow): TimelineEvent {
  const detail = row.detail ? (JSON.parse(row.detail) as Record<string, unknown>) : {};
  const text = (name: string) => (typeof detail[name] === 'string' ? (detail[name] as string) : null);
  return {
    id: row.id,
    at: new Date(Number(row.at)),
    kind: row.kind as TimelineKind,
    status: row.status as BatchStatus | null,
    previousStatus: text('previousStatus') as BatchStatus | null,
    providerStatus: text('providerStatus'),
    counts: row.processed === null ? null : { processed: row.processed, failed: row.failed ?? 0, total: row.total },
    mutation: text('mutation'),
    subject: text('subject'),
    tenant: text('tenant'),
    outcome: text('outcome') as AuditOutcome | null,
    code: text('code'),
    webhookType: text('type'),
    staleReason: row.kind === 'STALE' ? (text('reason') as StaleReason | null) : null,
    endedAt: row.ended_at === null ? null : new Date(Number(row.ended_at)),
    health: text('health') as BatchHealth | null,
    previousHealth: text('previousHealth') as BatchHealth | null,
    healthReason: row.kind === 'HEALTH' ? text('reason') : null,
  };
}

/**
 * At most `count` + 1 events of one batch, of `kinds` (all when undefined): forward, oldest first after `from`
 * (exclusive); backward, the ones before it, latest first (the caller reverses them). Served by
 * `ledger_events_by_batch` (batch row, at, id), after one look-up of the row by its key.
 */
export async function timelineRows(
  db: Kysely<LedgerTables>,
  key: BatchKey,
  from: TimelinePosition | null,
  count: number,
  kinds: readonly TimelineKind[] | undefined,
  backward = false,
): Promise<TimelineEvent[]> {
  let q = db.selectFrom('ledger_events').selectAll().where('batch_seq', '=', seqOf(db, key));
  if (kinds) q = q.where('kind', 'in', kinds.length ? [...kinds] : ['']);
  const past = backward ? '<' : '>';
  if (from)
    q = q.where((eb) => eb.or([eb('at', past, from.at), eb.and([eb('at', '=', from.at), eb('id', past, from.id)])]));
  const direction = backward ? 'desc' : 'asc';
  const rows = await q
    .orderBy('at', direction)
    .orderBy('id', direction)
    .limit(count + 1)
    .execute();
  return rows.map(eventOf);
}

/** Every stored point of a batch's progress (its samples, and the counts of its status changes), oldest first. */
export async function progressRows(db: Kysely<LedgerTables>, key: BatchKey): Promise<ProgressPoint[]> {
  const rows = await db
    .selectFrom('ledger_events')
    .select(['at', 'processed', 'failed', 'total'])
    .where('batch_seq', '=', seqOf(db, key))
    .where('kind', 'in', ['PROGRESS', 'STATUS'])
    .where('processed', 'is not', null)
    .orderBy('at')
    .orderBy('id')
    .execute();
  return rows.map((r) => ({
    at: new Date(Number(r.at)),
    processed: r.processed!,
    failed: r.failed ?? 0,
    total: r.total,
  }));
}

/**
 * The history a batch's health tracker starts from (`live/health.ts`): its progress samples and status changes
 * with the status they changed to, oldest first; at most the latest `limit` (the stall clock and the rates need
 * only the recent ones, and the first running point is kept by the tracker from what it is given).
 */
export async function healthRows(db: Kysely<LedgerTables>, key: BatchKey, limit: number): Promise<HealthPoint[]> {
  const latest = (kinds: string[]) =>
    db
      .selectFrom('ledger_events')
      .select(['id', 'at', 'kind', 'status', 'processed'])
      .where('batch_seq', '=', seqOf(db, key))
      .where('kind', 'in', kinds)
      .where('processed', 'is not', null)
      .orderBy('at', 'desc')
      .orderBy('id', 'desc');
  const rows = (await latest(['PROGRESS', 'STATUS']).limit(limit).execute()).reverse();
  // Cut short by the limit, the points start with the status change before them: what status they were read in.
  const first = rows[0];
  if (first && first.kind !== 'STATUS') {
    const status = await latest(['STATUS'])
      .where((eb) => eb.or([eb('at', '<', first.at), eb.and([eb('at', '=', first.at), eb('id', '<', first.id)])]))
      .limit(1)
      .executeTakeFirst();
    if (status) rows.unshift(status);
  }
  return rows.map((r) => ({
    at: Number(r.at),
    processed: r.processed!,
    status: r.kind === 'STATUS' ? (r.status as BatchStatus) : null,
  }));
}

/**
 * At most `maxPoints` of `points`, chosen by Largest-Triangle-Three-Buckets on the processed count (the
 * `downsample` package), so the shape a chart draws is kept, with the first and last points. Each chosen point
 * keeps its own failed count and total. Fewer points than `maxPoints` come back as they are.
 */
export function downsampled(points: ProgressPoint[], maxPoints: number): ProgressPoint[] {
  if (points.length <= maxPoints) return points;
  if (maxPoints < 3) return maxPoints === 1 ? [points.at(-1)!] : [points[0]!, points.at(-1)!];
  return Array.from(byProcessed(points, maxPoints) as ProgressPoint[]);
}

const byProcessed = createLTTB<ProgressPoint>({ x: (p) => p.at.getTime(), y: 'processed' });
