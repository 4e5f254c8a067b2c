import type { Generated, Selectable } from 'kysely';

/**
 * The ledger's tables as Kysely sees them (`migrations.ts` creates them). Times are epoch milliseconds
 * (integers), so SQLite and PostgreSQL compare and order them the same way; booleans are 0/1.
 */
export interface LedgerTables {
  ledger_batches: BatchTable;
  ledger_viewers: ViewerRow;
  ledger_audit: AuditTable;
  ledger_meta: { key: string; value: string };
  ledger_events: EventTable;
  notify_endpoints: EndpointTable;
  notify_events: NotifyEventTable;
  notify_deliveries: DeliveryTable;
  notify_attempts: AttemptTable;
}

/** One batch the gateway has seen, in one credential scope: its latest reading and how it came to be known. */
interface BatchTable {
  /** Insertion order: the stable tie-break of ledger lists. */
  seq: Generated<number>;
  provider: string;
  /** The credential scope of the provider's data (`tenant:<t>` for a tenant-scoped provider, else `default`). */
  scope: string;
  provider_batch_id: string;
  status: string;
  provider_status: string;
  is_terminal: number;
  total: number | null;
  processed: number;
  failed: number;
  batch_type: string | null;
  pending_records: number | null;
  created_at: number | null;
  started_at: number | null;
  completed_at: number | null;
  /** `created_at`, else `first_seen_at`: the creation order of ledger lists (a provider may give no creation time). */
  sort_created: number;
  /** The latest reading: the batch as the gateway mapped it (JSON, dates tagged). */
  reading: string;
  read_at: number;
  /** The fields the latest reading lacks (JSON array of field names): a read by id lacks fewer than a list row. */
  lacks: string;
  first_seen_at: number;
  /** 1 when submitted through batchql. */
  submitted: Generated<number>;
  submitted_at: number | null;
  submitted_by: string | null;
  submitted_tenant: string | null;
  /** When it finished: `completed_at`, else when batchql first read it finished; null while it runs. */
  finished_at: number | null;
  /** What search matches: its name (when its provider has names) and its provider id, lower case. */
  search_text: string | null;
  /**
   * Its health as the replica that polls it last judged it (`BatchHealth`), since when, why, and when it was
   * judged (`health_at`): a stored health older than `HEALTH_STALL_AFTER_MS` no longer counts (`UNKNOWN`).
   */
  health: string | null;
  health_since: number | null;
  health_reason: string | null;
  health_at: number | null;
}

/**
 * One event of a batch's timeline (`Batch.timeline`). `kind` is one of `TimelineKind` (events.ts); the
 * counts are those of the reading that made it (a status change, a progress sample); `detail` is the kind's
 * own JSON (a write's mutation and who made it, a webhook's event type, a stale period's reason).
 */
interface EventTable {
  id: Generated<number>;
  /** The batch's row (`ledger_batches.seq`): a small key, so a timeline costs little beside its batch. */
  batch_seq: number;
  at: number;
  kind: string;
  status: string | null;
  processed: number | null;
  failed: number | null;
  total: number | null;
  detail: string | null;
  /** The end of a period (a stale period); null while it lasts, and for events that are instants. */
  ended_at: number | null;
}

/** A timeline event as read. */
export type EventRow = Selectable<EventTable>;

/** Who saw a batch: a ledger-only row is listed to these tenants (`''`: callers without a tenant). */
interface ViewerRow {
  provider: string;
  scope: string;
  provider_batch_id: string;
  viewer: string;
  first_seen_at: number;
}

/** One write through the gateway. */
interface AuditTable {
  id: Generated<number>;
  at: number;
  mutation: string;
  provider: string | null;
  provider_batch_id: string | null;
  subject: string | null;
  tenant: string | null;
  client: string;
  request_id: string | null;
  idempotency_key: string | null;
  /** CREATED, DONE, REPLAYED, REFUSED, FAILED or UNKNOWN. */
  outcome: string;
  /** The error or user-error code of a refusal, failure or unknown outcome. */
  code: string | null;
  message: string | null;
  /**
   * The entry's unique key: `local:<uuid>` when written here, `<ledger id>#<id>` when copied from another ledger
   * (`npm run ledger:copy`); a write tried again, or a copy run again, adds nothing.
   */
  origin: Generated<string | null>;
}

/** A batch row as read. */
export type BatchRow = Selectable<BatchTable>;

/**
 * A webhook endpoint (docs/notifications.md): where a tenant's notifications go, which events, and its circuit.
 * `tenant` is `''` for an operator without a tenant (it receives every batch's events).
 */
interface EndpointTable {
  id: string;
  tenant: string;
  url: string;
  description: string | null;
  /** The event types it receives (JSON array of wire names, `batch.succeeded`…). */
  events: string;
  /** Its filter (JSON: providers, statuses, batch types, name prefix, failure-rate threshold). */
  filter: string;
  enabled: number;
  /** Its signing secrets (JSON: `{ secret, createdAt, expiresAt }[]`); an old one signs until its `expiresAt`. */
  secrets: string;
  created_at: number;
  updated_at: number;
  created_by: string | null;
  /** Failed attempts in a row: the circuit opens at `WEBHOOK_CIRCUIT_FAILURES`. */
  consecutive_failures: number;
  /** While the circuit is open: no delivery to it is attempted before this. */
  paused_until: number | null;
  /** When its circuit last opened (null: closed), for the `PAUSED` mark and the metric. */
  paused_at: number | null;
}

/** One notification: an event of one batch (or a test), written in the transaction of the change that caused it. */
interface NotifyEventTable {
  /** Its `webhook-id` (`msg_…`): the same for every endpoint and every attempt. */
  id: string;
  /** What makes it one event across replicas (`batch.succeeded` of one batch is written once, whoever saw it). */
  dedupe_key: string;
  type: string;
  at: number;
  provider: string | null;
  scope: string | null;
  provider_batch_id: string | null;
  /** The batch as read when the event happened (the ledger's reading JSON): what the payload is rendered from. */
  reading: string | null;
  /** The event's own data (JSON: a health reason, a failure rate, the write's subject). */
  detail: string | null;
  /** The payload as sent, rendered at the first attempt: every later attempt sends the same bytes. */
  body: string | null;
  created_at: number;
}

/** One event for one endpoint, and where its delivery stands. */
interface DeliveryTable {
  id: Generated<number>;
  event_id: string;
  endpoint_id: string;
  /** `PENDING` (waiting or being sent), `DELIVERED` or `FAILED` (its retries ran out). */
  status: string;
  attempts: number;
  next_attempt_at: number;
  /** The replica sending it now, until `lease_until`: another replica claims it only after. */
  claimed_by: string | null;
  lease_until: number | null;
  created_at: number;
  first_attempt_at: number | null;
  last_attempt_at: number | null;
  delivered_at: number | null;
  last_status: number | null;
  last_error: string | null;
}

/** One attempt of a delivery. */
interface AttemptTable {
  id: Generated<number>;
  delivery_id: number;
  attempt: number;
  at: number;
  /** The HTTP status it answered (null: no answer: refused, timed out, unreachable). */
  status: number | null;
  duration_ms: number;
  error: string | null;
  /** The start of the answer's body (at most 1 KiB), for the operator. */
  response: string | null;
}

export type EndpointRow = Selectable<EndpointTable>;
