import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { badInput, ErrorCode, GatewayError } from '../domain/errors.js';
import type { LedgerOutbox } from '../ledger/ledger.js';
import type { LedgerTables } from '../ledger/tables.js';
import {
  deleteEndpoint,
  findEndpoint,
  insertEndpoint,
  listEndpoints,
  updateEndpoint,
  type Endpoint,
  type EndpointFilter,
} from './endpoints.js';
import { EVENT_TYPES, FAILURE_RATE_EVENT, type EventType } from './events.js';
import { enqueueNotices, enqueueTest, redeliver } from './outbox.js';
import { checkEndpointUrl, OutboundRefusedError } from './safe-connect.js';
import type { NotificationSettings } from './settings.js';
import { activeSecrets, generateSecret } from './signing.js';
import type { DeliveryWorker } from './worker.js';
import { deliveryPage, pruneEvents, type DeliveryPageRequest, type DeliveryView } from './deliveries.js';

/** Who manages endpoints: the caller's tenant (undefined: an operator without one) and token subject. */
export interface Caller {
  tenant: string | undefined;
  subject: string | null;
}

/** What an endpoint mutation asks for (the GraphQL inputs, with event types as wire names). */
export interface EndpointInput {
  url?: string;
  description?: string | null;
  events?: readonly EventType[];
  filter?: EndpointFilter | null;
}

/** Endpoints one tenant may have: each is matched against every event, so their number is bounded. */
const MAX_ENDPOINTS_PER_TENANT = 50;
const MAX_DESCRIPTION = 500;
const MAX_PREFIX = 200;
const MAX_URL = 2_000;

/** A page of one delivery (the one a mutation answers). */
const ONE: DeliveryPageRequest = { backward: false, size: 1, from: null };

const notFound = (what: string) => new GatewayError(ErrorCode.NOT_FOUND, `no ${what} with this id`);

/** A refusal of one input field, as the payload's `userErrors`. */
const fieldError = (field: string, message: string) =>
  new GatewayError(ErrorCode.BAD_USER_INPUT, message, { fieldErrors: [{ message, field: ['input', field] }] });

/**
 * Notifications (docs/notifications.md): endpoint management for the GraphQL API, the outbox the ledger writes
 * events into, and the delivery worker. Everything is stored in the ledger's store; a caller only ever reaches the
 * endpoints of its own tenant (another's are `NOT_FOUND`, as if absent).
 */
export class Notifications {
  constructor(
    private readonly db: () => Kysely<LedgerTables> | undefined,
    readonly worker: DeliveryWorker,
    private readonly settings: NotificationSettings,
    private readonly now: () => number = Date.now,
    private readonly observer?: { events(written: { events: number; deliveries: number }): void },
  ) {}

  /** The ledger's outbox: a flush's events go in with its changes; the worker is woken after the commit. */
  readonly outbox: LedgerOutbox = {
    write: (trx, changes, now) => enqueueNotices(trx, changes, now),
    written: (rows) => {
      this.observer?.events(rows);
      this.worker.wake();
    },
  };

  private store(): Kysely<LedgerTables> {
    const db = this.db();
    if (!db)
      throw new GatewayError(
        ErrorCode.NOTIFICATIONS_UNAVAILABLE,
        'webhooks need the ledger, which cannot be read now (see /ready)',
      );
    return db;
  }

  /** The endpoint `id` when `caller` may manage it; `NOT_FOUND` otherwise. */
  async endpoint(caller: Caller, id: string): Promise<Endpoint> {
    const endpoint = await findEndpoint(this.store(), id);
    if (!endpoint || (caller.tenant !== undefined && endpoint.tenant !== caller.tenant)) throw notFound('endpoint');
    return endpoint;
  }

  list(caller: Caller): Promise<Endpoint[]> {
    return listEndpoints(this.store(), caller.tenant);
  }

  async create(caller: Caller, input: Required<Pick<EndpointInput, 'url' | 'events'>> & EndpointInput) {
    const db = this.store();
    const tenant = caller.tenant ?? '';
    const checked = await this.checked(input, undefined);
    if ((await listEndpoints(db, tenant)).length >= MAX_ENDPOINTS_PER_TENANT)
      throw badInput(`a tenant may have at most ${MAX_ENDPOINTS_PER_TENANT} webhook endpoints`);
    const now = this.now();
    const secret = generateSecret();
    const endpoint: Endpoint = {
      id: `wh_${randomBytes(12).toString('base64url')}`,
      tenant,
      url: checked.url,
      description: checked.description,
      events: checked.events,
      filter: checked.filter,
      enabled: true,
      secrets: [{ secret, createdAt: now, expiresAt: null }],
      createdAt: now,
      updatedAt: now,
      createdBy: caller.subject,
      consecutiveFailures: 0,
      pausedUntil: null,
      pausedAt: null,
    };
    await insertEndpoint(db, endpoint);
    return { endpoint, secret };
  }

  async update(caller: Caller, id: string, input: EndpointInput) {
    const current = await this.endpoint(caller, id);
    const checked = await this.checked(input, current);
    const endpoint: Endpoint = { ...current, ...checked, updatedAt: this.now() };
    await updateEndpoint(this.store(), endpoint);
    return { endpoint };
  }

  /** Disables or enables an endpoint; enabling also closes its circuit (an operator says it is fixed). */
  async setEnabled(caller: Caller, id: string, enabled: boolean) {
    const current = await this.endpoint(caller, id);
    const endpoint: Endpoint = {
      ...current,
      enabled,
      updatedAt: this.now(),
      ...(enabled ? { consecutiveFailures: 0, pausedUntil: null, pausedAt: null } : {}),
    };
    await updateEndpoint(this.store(), endpoint);
    if (enabled) this.worker.wake();
    return { endpoint };
  }

  async remove(caller: Caller, id: string) {
    await this.endpoint(caller, id);
    await deleteEndpoint(this.store(), id);
    return { id };
  }

  /** A new secret; the old ones that still sign stop at the end of the overlap. */
  async rotate(caller: Caller, id: string) {
    const current = await this.endpoint(caller, id);
    const now = this.now();
    const until = now + this.settings.secretOverlapMs;
    const secret = generateSecret();
    const kept = current.secrets
      .filter((s) => s.expiresAt === null || s.expiresAt > now)
      .map((s) => ({ ...s, expiresAt: s.expiresAt === null ? until : Math.min(s.expiresAt, until) }));
    const endpoint: Endpoint = {
      ...current,
      secrets: [{ secret, createdAt: now, expiresAt: null }, ...kept],
      updatedAt: now,
    };
    await updateEndpoint(this.store(), endpoint);
    return { endpoint, secret };
  }

  /** Endpoints whose circuit is open now (a gauge). */
  async pausedEndpoints(): Promise<number> {
    const db = this.db();
    if (!db) return 0;
    const row = await db
      .selectFrom('notify_endpoints')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('enabled', '=', 1)
      .where('paused_until', '>', this.now())
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  /** The number of secrets that sign now. */
  signing(endpoint: Endpoint): number {
    return activeSecrets(endpoint.secrets, this.now()).length;
  }

  async test(caller: Caller, id: string): Promise<{ delivery: DeliveryView }> {
    const endpoint = await this.endpoint(caller, id);
    const db = this.store();
    const eventId = await enqueueTest(db, endpoint, this.now());
    this.observer?.events({ events: 1, deliveries: 1 });
    this.worker.wake();
    const [delivery] = await deliveryPage(db, endpoint.id, ONE, { eventId });
    return { delivery: delivery! };
  }

  async deliveries(caller: Caller, endpointId: string, request: DeliveryPageRequest) {
    const endpoint = await this.endpoint(caller, endpointId);
    return deliveryPage(this.store(), endpoint.id, request);
  }

  async redeliver(caller: Caller, deliveryId: number): Promise<{ delivery: DeliveryView }> {
    const db = this.store();
    const row = await db
      .selectFrom('notify_deliveries')
      .select(['endpoint_id'])
      .where('id', '=', deliveryId)
      .executeTakeFirst();
    if (!row) throw notFound('delivery');
    try {
      await this.endpoint(caller, row.endpoint_id);
    } catch {
      throw notFound('delivery');
    }
    // Queued again: counted as a delivery queued (its event is the same one).
    if (await redeliver(db, deliveryId, this.now())) this.observer?.events({ events: 0, deliveries: 1 });
    this.worker.wake();
    const [delivery] = await deliveryPage(db, row.endpoint_id, ONE, { deliveryId });
    return { delivery: delivery! };
  }

  /** Prunes events whose deliveries all ended longer ago than `WEBHOOK_RETENTION_DAYS`. */
  async prune(): Promise<number> {
    const db = this.db();
    if (!db || this.settings.retentionDays === 0) return 0;
    return pruneEvents(db, this.now() - this.settings.retentionDays * 86_400_000);
  }

  /** An input checked and completed: the URL is safe to reach, the events known, the filter within its limits. */
  private async checked(input: EndpointInput, current: Endpoint | undefined) {
    const url = (input.url ?? current?.url ?? '').trim();
    if (input.url !== undefined) {
      if (url.length > MAX_URL) throw fieldError('url', `the URL may have at most ${MAX_URL} characters`);
      try {
        await checkEndpointUrl(url, this.worker.connectOptions());
      } catch (error) {
        if (error instanceof OutboundRefusedError) throw fieldError('url', error.message);
        throw error;
      }
    }
    const events = [...new Set(input.events ?? current?.events ?? [])];
    if (events.length === 0) throw fieldError('events', 'an endpoint needs at least one event');
    for (const e of events)
      if (!(EVENT_TYPES as readonly string[]).includes(e)) throw fieldError('events', `${e} cannot be subscribed to`);
    const description = input.description === undefined ? (current?.description ?? null) : input.description;
    if (description !== null && description.length > MAX_DESCRIPTION)
      throw fieldError('description', `the description may have at most ${MAX_DESCRIPTION} characters`);
    const filter = input.filter === undefined ? (current?.filter ?? {}) : (input.filter ?? {});
    if (filter.namePrefix !== undefined && filter.namePrefix.length > MAX_PREFIX)
      throw fieldError('filter', `namePrefix may have at most ${MAX_PREFIX} characters`);
    const threshold = filter.failureRateThreshold;
    if (threshold !== undefined && !(threshold >= 0 && threshold < 1))
      throw fieldError('filter', 'failureRateThreshold must be at least 0 and below 1');
    const minItems = filter.failureRateMinItems;
    if (minItems !== undefined && !(Number.isInteger(minItems) && minItems >= 1 && minItems <= 1_000_000_000))
      throw fieldError('filter', 'failureRateMinItems must be an integer from 1');
    if (events.includes(FAILURE_RATE_EVENT) && threshold === undefined)
      throw fieldError('filter', 'BATCH_FAILURE_RATE_EXCEEDED needs filter.failureRateThreshold');
    return { url, events, description, filter };
  }
}
