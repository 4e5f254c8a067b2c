import { PostgresAdapter, sql, type Kysely } from 'kysely';
import { batchKeyText, type BatchKey } from '../ledger/batch-key.js';
import type { LedgerTables } from '../ledger/tables.js';
import {
  DEFAULT_FAILURE_RATE_MIN_ITEMS,
  enabledEndpoints,
  passesFilter,
  tenantMayRead,
  type BatchFacts,
  type Endpoint,
} from './endpoints.js';
import {
  FAILURE_RATE_EVENT,
  failureRateNotice,
  failureRateOf,
  noticesOf,
  TEST_EVENT,
  type LedgerChange,
  type Notice,
} from './events.js';
import { newMessageId } from './signing.js';

/** The batch row facts matching needs: its filter facts, tenancy, and the reading the payload is rendered from. */
interface BatchRowFacts extends BatchFacts {
  scope: string;
  submittedTenant: string | null;
  viewers: Set<string>;
  reading: string;
}

/**
 * Writes the notifications of a flush's changes into the outbox, inside the flush's transaction (so an event is
 * stored exactly when the change that caused it is, and waits with it while the store fails): one event per
 * notice that at least one enabled endpoint of a tenant allowed to read the batch wants, and one delivery per such
 * endpoint. An event another replica wrote already (the same `dedupe_key`) adds nothing. Answers the deliveries
 * written.
 */
export async function enqueueNotices(
  trx: Kysely<LedgerTables>,
  changes: readonly LedgerChange[],
  now: number,
): Promise<{ events: number; deliveries: number }> {
  const none = { events: 0, deliveries: 0 };
  if (changes.length === 0) return none;
  const plain = changes.flatMap(noticesOf);
  const rated = changes.some((c) => failureRateOf(c, 1) !== undefined);
  if (plain.length === 0 && !rated) return none;
  const endpoints = await enabledEndpoints(trx);
  if (endpoints.length === 0) return none;
  const rateWatchers = endpoints.filter((e) => e.events.includes(FAILURE_RATE_EVENT));
  const notices: { notice: Notice; only?: string }[] = plain.map((notice) => ({ notice }));
  for (const change of rated ? changes : [])
    for (const endpoint of rateWatchers) {
      const threshold = endpoint.filter.failureRateThreshold;
      if (threshold === undefined) continue;
      const rate = failureRateOf(change, endpoint.filter.failureRateMinItems ?? DEFAULT_FAILURE_RATE_MIN_ITEMS);
      if (rate !== undefined && rate > threshold)
        notices.push({ notice: failureRateNotice(change, endpoint.id, rate, threshold), only: endpoint.id });
    }
  const wanted = notices.filter(({ notice }) => endpoints.some((e) => e.events.includes(notice.type)));
  if (wanted.length === 0) return none;
  const facts = await batchFacts(
    trx,
    wanted.map(({ notice }) => notice.key),
  );
  const written = { events: 0, deliveries: 0 };
  for (const { notice, only } of wanted) {
    const batch = facts.get(batchKeyText(notice.key));
    if (!batch) continue;
    const targets = endpoints.filter(
      (e) =>
        (only === undefined ? e.events.includes(notice.type) : e.id === only) &&
        passesFilter(e.filter, batch) &&
        tenantMayRead(e.tenant, batch),
    );
    if (targets.length === 0) continue;
    const deliveries = await insertEvent(
      trx,
      {
        type: notice.type,
        dedupeKey: notice.dedupeKey,
        at: notice.at,
        key: notice.key,
        reading: batch.reading,
        detail: notice.detail,
      },
      targets,
      now,
    );
    if (deliveries > 0) {
      written.events++;
      written.deliveries += deliveries;
    }
  }
  return written;
}

/** Inserts one event and its deliveries; nothing when its `dedupe_key` is there already. Answers the deliveries. */
async function insertEvent(
  trx: Kysely<LedgerTables>,
  event: {
    type: string;
    dedupeKey: string;
    at: number;
    key?: BatchKey;
    reading?: string;
    detail: Record<string, unknown>;
  },
  targets: readonly Endpoint[],
  now: number,
): Promise<number> {
  const id = newMessageId();
  const inserted = await trx
    .insertInto('notify_events')
    .values({
      id,
      dedupe_key: event.dedupeKey,
      type: event.type,
      at: event.at,
      provider: event.key?.provider ?? null,
      scope: event.key?.scope ?? null,
      provider_batch_id: event.key?.providerBatchId ?? null,
      reading: event.reading ?? null,
      detail: JSON.stringify(event.detail),
      body: null,
      created_at: now,
    })
    .onConflict((oc) => oc.column('dedupe_key').doNothing())
    .returning('id')
    .executeTakeFirst();
  if (!inserted) return 0;
  await trx
    .insertInto('notify_deliveries')
    .values(
      targets.map((e) => ({
        event_id: id,
        endpoint_id: e.id,
        status: 'PENDING',
        attempts: 0,
        next_attempt_at: now,
        claimed_by: null,
        lease_until: null,
        created_at: now,
        first_attempt_at: null,
        last_attempt_at: null,
        delivered_at: null,
        last_status: null,
        last_error: null,
      })),
    )
    .execute();
  return targets.length;
}

/** The facts of the batches `keys` name, read in the flush's transaction (after its rows were written). */
async function batchFacts(trx: Kysely<LedgerTables>, keys: readonly BatchKey[]): Promise<Map<string, BatchRowFacts>> {
  const out = new Map<string, BatchRowFacts>();
  const unique = new Map(keys.map((k) => [batchKeyText(k), k]));
  for (const k of unique.values()) {
    const row = await trx
      .selectFrom('ledger_batches')
      .select(['status', 'batch_type', 'submitted_tenant', 'reading'])
      .where('provider', '=', k.provider)
      .where('scope', '=', k.scope)
      .where('provider_batch_id', '=', k.providerBatchId)
      .executeTakeFirst();
    if (!row) continue;
    const viewers = await trx
      .selectFrom('ledger_viewers')
      .select('viewer')
      .where('provider', '=', k.provider)
      .where('scope', '=', k.scope)
      .where('provider_batch_id', '=', k.providerBatchId)
      .execute();
    const name = (JSON.parse(row.reading) as { name?: unknown }).name;
    out.set(batchKeyText(k), {
      provider: k.provider,
      scope: k.scope,
      status: row.status,
      batchType: row.batch_type,
      name: typeof name === 'string' ? name : null,
      submittedTenant: row.submitted_tenant,
      viewers: new Set(viewers.map((v) => v.viewer)),
      reading: row.reading,
    });
  }
  return out;
}

/** Queues a `webhook.test` event for one endpoint (`testWebhookEndpoint`). Answers the event's id. */
export async function enqueueTest(db: Kysely<LedgerTables>, endpoint: Endpoint, now: number): Promise<string> {
  return db.transaction().execute(async (trx) => {
    const dedupeKey = `${TEST_EVENT}|${newMessageId()}`;
    await insertEvent(
      trx,
      { type: TEST_EVENT, dedupeKey, at: now, detail: { endpointId: endpoint.id, description: endpoint.description } },
      [endpoint],
      now,
    );
    const row = await trx
      .selectFrom('notify_events')
      .select('id')
      .where('dedupe_key', '=', dedupeKey)
      .executeTakeFirstOrThrow();
    return row.id;
  });
}

/** A delivery claimed for sending, with its event and endpoint. */
export interface ClaimedDelivery {
  id: number;
  attempts: number;
  createdAt: number;
  endpointId: string;
  event: {
    id: string;
    type: string;
    at: number;
    createdAt: number;
    provider: string | null;
    scope: string | null;
    reading: string | null;
    detail: string | null;
    body: string | null;
  };
}

/**
 * Claims up to `limit` deliveries that are due, for `replica`, until `now + leaseMs`: on PostgreSQL with
 * `FOR UPDATE SKIP LOCKED`, so replicas claiming at once never take the same row; a claim whose lease ran out (its
 * replica was killed) is due again. Deliveries of a disabled endpoint, or of one whose circuit is open, wait; an
 * endpoint takes at most `room(endpointId)` more (its bound minus what is in flight; 1 while its circuit is
 * half-open: one probe).
 */
export async function claimDue(
  db: Kysely<LedgerTables>,
  options: { replica: string; now: number; limit: number; leaseMs: number; room: (endpoint: Endpoint) => number },
): Promise<{ delivery: ClaimedDelivery; endpoint: Endpoint }[]> {
  if (options.limit <= 0) return [];
  const { now } = options;
  const pg = db.getExecutor().adapter instanceof PostgresAdapter;
  return db.transaction().execute(async (trx) => {
    // The rooms first, and the endpoints without room (at their concurrency bound, e.g. a slow one) left out of
    // the candidates: their backlog, oldest first, would otherwise fill the window below, nothing in it could be
    // picked, and every other endpoint's deliveries would wait behind it (bench/notify.ts: a healthy endpoint's p99
    // lag followed a 2 s endpoint's backlog). Endpoints are few (read whole on every outbox write too).
    const endpoints = new Map((await enabledEndpoints(trx)).map((e) => [e.id, e]));
    const rooms = new Map([...endpoints.values()].map((e) => [e.id, options.room(e)]));
    const full = [...rooms].filter(([, left]) => left <= 0).map(([id]) => id);
    if (rooms.size === 0 || full.length === rooms.size) return [];
    let query = trx
      .selectFrom('notify_deliveries as d')
      .innerJoin('notify_endpoints as e', 'e.id', 'd.endpoint_id')
      .select(['d.id', 'd.endpoint_id'])
      .where('d.status', '=', 'PENDING')
      .where('d.next_attempt_at', '<=', now)
      .where((eb) => eb.or([eb('d.lease_until', 'is', null), eb('d.lease_until', '<', now)]))
      .where('e.enabled', '=', 1)
      .where((eb) => eb.or([eb('e.paused_until', 'is', null), eb('e.paused_until', '<=', now)]))
      .orderBy('d.next_attempt_at')
      .orderBy('d.id')
      .limit(Math.max(options.limit * 4, 50));
    if (full.length > 0) query = query.where('d.endpoint_id', 'not in', full);
    if (pg) query = query.forUpdate('d').skipLocked();
    const due = await query.execute();
    if (due.length === 0) return [];
    const picked = due
      .filter((d) => {
        const left = rooms.get(d.endpoint_id) ?? 0;
        if (left <= 0) return false;
        rooms.set(d.endpoint_id, left - 1);
        return true;
      })
      .slice(0, options.limit);
    if (picked.length === 0) return [];
    const ids = picked.map((d) => d.id);
    await trx
      .updateTable('notify_deliveries')
      .set({ claimed_by: options.replica, lease_until: now + options.leaseMs })
      .where('id', 'in', ids)
      .execute();
    const rows = await trx
      .selectFrom('notify_deliveries as d')
      .innerJoin('notify_events as v', 'v.id', 'd.event_id')
      .select([
        'd.id',
        'd.attempts',
        'd.created_at',
        'd.endpoint_id',
        'v.id as event_id',
        'v.type',
        'v.at',
        'v.created_at as event_created_at',
        'v.provider',
        'v.scope',
        'v.reading',
        'v.detail',
        'v.body',
      ])
      .where('d.id', 'in', ids)
      .orderBy('d.id')
      .execute();
    return rows.map((r) => ({
      endpoint: endpoints.get(r.endpoint_id)!,
      delivery: {
        id: Number(r.id),
        attempts: r.attempts,
        createdAt: Number(r.created_at),
        endpointId: r.endpoint_id,
        event: {
          id: r.event_id,
          type: r.type,
          at: Number(r.at),
          createdAt: Number(r.event_created_at),
          provider: r.provider,
          scope: r.scope,
          reading: r.reading,
          detail: r.detail,
          body: r.body,
        },
      },
    }));
  });
}

/**
 * Stores an event's rendered payload once: the first render wins (two replicas rendering the same event for two
 * endpoints store one), and every attempt, of every endpoint, sends what is stored.
 */
export async function storeBody(db: Kysely<LedgerTables>, eventId: string, body: string): Promise<string> {
  await db.updateTable('notify_events').set({ body }).where('id', '=', eventId).where('body', 'is', null).execute();
  const row = await db.selectFrom('notify_events').select('body').where('id', '=', eventId).executeTakeFirst();
  return row?.body ?? body;
}

/** One attempt's outcome, and what follows from it. */
export interface AttemptRecord {
  deliveryId: number;
  endpointId: string;
  replica: string;
  attempt: number;
  at: number;
  status: number | null;
  durationMs: number;
  error: string | null;
  response: string | null;
  ok: boolean;
  /** When to try again (a failure with retries left); undefined: delivered, or failed for good. */
  nextAttemptAt: number | undefined;
  /** The endpoint's circuit: failures in a row at which it opens, and for how long. */
  circuit: { failures: number; pauseMs: number };
}

/**
 * Records an attempt, moves its delivery on (delivered, due again, or failed for good) and its endpoint's circuit
 * (a success closes it; the `circuit.failures`-th failure in a row opens it for `circuit.pauseMs`), in one
 * transaction. A delivery another replica claimed meanwhile (this one's lease ran out) keeps that claim. Answers
 * true when this attempt opened the endpoint's circuit.
 */
export async function recordAttempt(db: Kysely<LedgerTables>, r: AttemptRecord): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    await trx
      .insertInto('notify_attempts')
      .values({
        delivery_id: r.deliveryId,
        attempt: r.attempt,
        at: r.at,
        status: r.status,
        duration_ms: Math.round(r.durationMs),
        error: r.error,
        response: r.response,
      })
      .execute();
    const status = r.ok ? 'DELIVERED' : r.nextAttemptAt === undefined ? 'FAILED' : 'PENDING';
    await trx
      .updateTable('notify_deliveries')
      .set((eb) => ({
        status,
        attempts: eb('attempts', '+', 1),
        next_attempt_at: r.nextAttemptAt ?? r.at,
        claimed_by: null,
        lease_until: null,
        first_attempt_at: sql<number>`coalesce(first_attempt_at, ${r.at})`,
        last_attempt_at: r.at,
        delivered_at: r.ok ? r.at : null,
        last_status: r.status,
        last_error: r.error,
      }))
      .where('id', '=', r.deliveryId)
      .where((eb) => eb.or([eb('claimed_by', '=', r.replica), eb('claimed_by', 'is', null)]))
      .execute();
    if (r.ok) {
      await trx
        .updateTable('notify_endpoints')
        .set({ consecutive_failures: 0, paused_until: null, paused_at: null })
        .where('id', '=', r.endpointId)
        .execute();
      return false;
    }
    const endpoint = await trx
      .updateTable('notify_endpoints')
      .set((eb) => ({ consecutive_failures: eb('consecutive_failures', '+', 1) }))
      .where('id', '=', r.endpointId)
      .returning(['consecutive_failures', 'paused_at'])
      .executeTakeFirst();
    if (!endpoint || endpoint.consecutive_failures < r.circuit.failures) return false;
    await trx
      .updateTable('notify_endpoints')
      .set({ paused_until: r.at + r.circuit.pauseMs, paused_at: endpoint.paused_at ?? r.at })
      .where('id', '=', r.endpointId)
      .execute();
    return endpoint.paused_at === null;
  });
}

/**
 * Hands back claims without an attempt (a shutdown before sending, an endpoint disabled meanwhile): due again at
 * once, for any replica.
 */
export async function releaseClaims(db: Kysely<LedgerTables>, ids: readonly number[], replica: string) {
  if (ids.length === 0) return;
  await db
    .updateTable('notify_deliveries')
    .set({ claimed_by: null, lease_until: null })
    .where('id', 'in', [...ids])
    .where('claimed_by', '=', replica)
    .execute();
}

/**
 * Extends this replica's claims of the deliveries it is still sending to `leaseUntil` (the worker does so every
 * third of a lease): a lease lapses when its replica died or hung, not while it waits on a slow endpoint, which
 * would have that delivery claimed and sent again alongside. A claim recorded meanwhile (`claimed_by` null) or
 * taken over by another replica is left as it is.
 */
export async function renewClaims(
  db: Kysely<LedgerTables>,
  ids: readonly number[],
  replica: string,
  leaseUntil: number,
) {
  if (ids.length === 0) return;
  await db
    .updateTable('notify_deliveries')
    .set({ lease_until: leaseUntil })
    .where('id', 'in', [...ids])
    .where('claimed_by', '=', replica)
    .where('status', '=', 'PENDING')
    .execute();
}

/**
 * Sends a delivery again (`redeliverWebhook`): a delivered or failed one is due now, with the same event (the same
 * `webhook-id` and payload), its attempts kept; one still pending is left as it is. Answers true when it was queued
 * again.
 */
export async function redeliver(db: Kysely<LedgerTables>, deliveryId: number, now: number): Promise<boolean> {
  const result = await db
    .updateTable('notify_deliveries')
    .set({ status: 'PENDING', next_attempt_at: now, delivered_at: null })
    .where('id', '=', deliveryId)
    .where('status', '<>', 'PENDING')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}
