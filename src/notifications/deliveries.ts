import type { Kysely } from 'kysely';
import type { LedgerTables } from '../ledger/tables.js';

/** One attempt, as `WebhookAttempt` answers it. */
export interface AttemptView {
  attempt: number;
  at: Date;
  statusCode: number | null;
  latencyMs: number;
  error: string | null;
  response: string | null;
}

/** One delivery with its event and attempts, as `WebhookDelivery` answers it. */
export interface DeliveryView {
  id: number;
  messageId: string;
  eventType: string;
  eventAt: Date;
  provider: string | null;
  providerBatchId: string | null;
  status: 'PENDING' | 'DELIVERED' | 'FAILED';
  nextAttemptAt: Date | null;
  body: string | null;
  attempts: AttemptView[];
}

/** A page of deliveries as the API asks for it: which way, how many, and after (or before) which delivery. */
export interface DeliveryPageRequest {
  /** false: newest first, older than `from`; true: the ones just newer than `from` (or the oldest), oldest first. */
  backward: boolean;
  size: number;
  from: number | null;
}

/**
 * A page of an endpoint's deliveries, as a keyset store answers (`keysetConnection` shows them): up to `size` + 1,
 * read newest first (backward: oldest first, from `from` on), so a row past `size` says more lie that way. `only`
 * narrows it to one event's or one delivery.
 */
export async function deliveryPage(
  db: Kysely<LedgerTables>,
  endpointId: string,
  { backward, size, from }: DeliveryPageRequest,
  only: { eventId?: string; deliveryId?: number } = {},
): Promise<DeliveryView[]> {
  let query = db
    .selectFrom('notify_deliveries as d')
    .innerJoin('notify_events as v', 'v.id', 'd.event_id')
    .select([
      'd.id',
      'd.status',
      'd.next_attempt_at',
      'v.id as message_id',
      'v.type',
      'v.at',
      'v.provider',
      'v.provider_batch_id',
      'v.body',
    ])
    .where('d.endpoint_id', '=', endpointId)
    .orderBy('d.id', backward ? 'asc' : 'desc')
    .limit(size + 1);
  if (from !== null) query = query.where('d.id', backward ? '>' : '<', from);
  if (only.eventId !== undefined) query = query.where('d.event_id', '=', only.eventId);
  if (only.deliveryId !== undefined) query = query.where('d.id', '=', only.deliveryId);
  const page = await query.execute();
  const ids = page.map((r) => Number(r.id));
  const attempts =
    ids.length === 0
      ? []
      : await db
          .selectFrom('notify_attempts')
          .selectAll()
          .where('delivery_id', 'in', ids)
          .orderBy('delivery_id')
          .orderBy('attempt')
          .orderBy('id')
          .execute();
  const byDelivery = new Map<number, AttemptView[]>();
  for (const a of attempts) {
    const list = byDelivery.get(Number(a.delivery_id)) ?? [];
    list.push({
      attempt: a.attempt,
      at: new Date(Number(a.at)),
      statusCode: a.status,
      latencyMs: a.duration_ms,
      error: a.error,
      response: a.response,
    });
    byDelivery.set(Number(a.delivery_id), list);
  }
  return page.map((r) => ({
    id: Number(r.id),
    messageId: r.message_id,
    eventType: r.type,
    eventAt: new Date(Number(r.at)),
    provider: r.provider,
    providerBatchId: r.provider_batch_id,
    status: r.status as DeliveryView['status'],
    nextAttemptAt: r.status === 'PENDING' ? new Date(Number(r.next_attempt_at)) : null,
    body: r.body,
    attempts: byDelivery.get(Number(r.id)) ?? [],
  }));
}

/** Deletes the deliveries whose `column` is one of `values`, with their attempts (in the caller's transaction). */
export async function deleteDeliveries(
  trx: Kysely<LedgerTables>,
  column: 'endpoint_id' | 'event_id',
  values: readonly string[],
): Promise<void> {
  await trx
    .deleteFrom('notify_attempts')
    .where(
      'delivery_id',
      'in',
      trx
        .selectFrom('notify_deliveries')
        .select('id')
        .where(column, 'in', [...values]),
    )
    .execute();
  await trx
    .deleteFrom('notify_deliveries')
    .where(column, 'in', [...values])
    .execute();
}

/** Events pruned per statement: retention works in bounded steps. */
const PRUNE_STEP = 500;

/**
 * Deletes events created before `before` whose every delivery ended (delivered or failed), with their deliveries
 * and attempts, in steps of 500; events still being delivered stay. Answers the events deleted.
 */
export async function pruneEvents(db: Kysely<LedgerTables>, before: number): Promise<number> {
  let total = 0;
  for (;;) {
    const ids = (
      await db
        .selectFrom('notify_events as v')
        .select('v.id')
        .where('v.created_at', '<', before)
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom('notify_deliveries as d')
                .select('d.id')
                .whereRef('d.event_id', '=', 'v.id')
                .where('d.status', '=', 'PENDING'),
            ),
          ),
        )
        .limit(PRUNE_STEP)
        .execute()
    ).map((r) => r.id);
    if (ids.length === 0) return total;
    await db.transaction().execute(async (trx) => {
      await deleteDeliveries(trx, 'event_id', ids);
      await trx.deleteFrom('notify_events').where('id', 'in', ids).execute();
    });
    total += ids.length;
    if (ids.length < PRUNE_STEP) return total;
  }
}
