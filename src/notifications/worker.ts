import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { LedgerTables } from '../ledger/tables.js';
import { parseRetryAfter } from '../upstream/retry-after.js';
import type { Endpoint } from './endpoints.js';
import { claimDue, recordAttempt, releaseClaims, renewClaims, storeBody, type ClaimedDelivery } from './outbox.js';
import { send, type SafeConnectOptions, type SendResult } from './safe-connect.js';
import { nextAttemptAt, type NotificationSettings } from './settings.js';
import { activeSecrets, signatureHeaders } from './signing.js';

/** What the worker reports to `/metrics` (observability/metrics.ts implements it). */
export interface DeliveryObserver {
  /** An attempt ended: `delivered`, `retrying`, `failed` (no retry left) or `refused` (an address it may not reach). */
  attempt(outcome: 'delivered' | 'retrying' | 'failed' | 'refused', seconds: number): void;
  /** The wait from an event being stored to its first attempt. */
  lag(seconds: number): void;
  /** An endpoint's circuit opened. */
  paused(): void;
}

/** The payload of an event, as sent (`graphql/webhook-payload.ts` renders it through a versioned document). */
export type RenderPayload = (event: ClaimedDelivery['event']) => Promise<string>;

/** The most of an answer's body an attempt keeps, for the operator. */
const KEPT_RESPONSE_BYTES = 1024;

/**
 * Sends the outbox's deliveries (docs/notifications.md, "Delivery"): claims what is due (`claimDue`: leases, and
 * `FOR UPDATE SKIP LOCKED` on PostgreSQL, so two replicas never send one delivery at once), within
 * `WEBHOOK_CONCURRENCY` in all and `WEBHOOK_CONCURRENCY_PER_ENDPOINT` per endpoint; signs each with the endpoint's
 * active secrets; sends it through the safe outbound client (the address is checked again before each send); and
 * records the attempt, its retry (the schedule, `Retry-After`) and the endpoint's circuit. It looks for due
 * deliveries every `WEBHOOK_POLL_MS`, and at once when this replica's ledger wrote some (`wake`).
 */
export class DeliveryWorker {
  private readonly inFlight = new Map<number, Promise<void>>();
  private readonly perEndpoint = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private renewTimer: NodeJS.Timeout | undefined;
  private looking: Promise<void> | undefined;
  private again = false;
  private closed = false;
  private render: RenderPayload | undefined;

  constructor(
    private readonly db: () => Kysely<LedgerTables> | undefined,
    private readonly options: {
      replica: string;
      settings: NotificationSettings;
      log: Logger;
      observer?: DeliveryObserver;
      /** The outbound client's injectable parts (tests: a fake resolver, a spy connector, a test CA). */
      connect?: Partial<SafeConnectOptions>;
      now?: () => number;
    },
  ) {}

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  /** The options every send and every endpoint check uses. */
  connectOptions(): SafeConnectOptions {
    const { settings } = this.options;
    return {
      allowedHosts: settings.allowedHosts,
      connectTimeoutMs: settings.connectTimeoutMs,
      responseTimeoutMs: settings.responseTimeoutMs,
      maxBodyBytes: KEPT_RESPONSE_BYTES,
      ...this.options.connect,
    };
  }

  /** How payloads are rendered (the gateway's schema, once it is built: `createGateway`). */
  useRenderer(render: RenderPayload): void {
    this.render = render;
  }

  start(): void {
    if (this.closed || this.timer) return;
    this.timer = setInterval(() => this.wake(), this.options.settings.pollMs);
    this.timer.unref();
    // The leases of the sends under way are renewed while they last: without it, a send slower than
    // `WEBHOOK_LEASE_MS` (a slow endpoint, a stalled process) was claimed again, by this replica or another, and
    // sent a second time while the first was still waiting for its answer.
    this.renewTimer = setInterval(() => this.renew(), Math.max(1, Math.floor(this.options.settings.leaseMs / 3)));
    this.renewTimer.unref();
    this.wake();
  }

  /** Extends the leases of this replica's sends under way (`renewClaims`). */
  private renew(): void {
    const db = this.db();
    if (!db || this.inFlight.size === 0) return;
    const { replica, settings } = this.options;
    renewClaims(db, [...this.inFlight.keys()], replica, this.now() + settings.leaseMs).catch((error: unknown) =>
      this.options.log.warn({ err: error }, 'notifications: renewing the leases of sends under way failed'),
    );
  }

  /** Looks for due deliveries now (this replica's ledger stored some, a send ended, a redelivery). */
  wake(): void {
    if (this.closed) return;
    if (this.looking) {
      this.again = true;
      return;
    }
    this.looking = this.look()
      .catch((error: unknown) =>
        this.options.log.warn({ err: error }, 'notifications: looking for due deliveries failed; tried again soon'),
      )
      .finally(() => {
        this.looking = undefined;
        if (this.again) {
          this.again = false;
          this.wake();
        }
      });
  }

  private async look(): Promise<void> {
    const db = this.db();
    if (!db) return;
    const { settings, replica } = this.options;
    const free = settings.concurrency - this.inFlight.size;
    if (free <= 0) return;
    const now = this.now();
    const claimed = await claimDue(db, {
      replica,
      now,
      limit: free,
      leaseMs: settings.leaseMs,
      room: (endpoint) => {
        const busy = this.perEndpoint.get(endpoint.id) ?? 0;
        // A half-open circuit (paused, its pause over): one probe at a time.
        const bound = endpoint.pausedAt !== null ? 1 : settings.concurrencyPerEndpoint;
        return bound - busy;
      },
    });
    if (this.closed) {
      await releaseClaims(
        db,
        claimed.map((c) => c.delivery.id),
        replica,
      );
      return;
    }
    for (const { delivery, endpoint } of claimed) {
      // Still being sent here (its lease lapsed before a renewal could extend it: the process stalled): claiming it
      // again renewed its lease; a second send would be a duplicate.
      if (this.inFlight.has(delivery.id)) continue;
      this.perEndpoint.set(endpoint.id, (this.perEndpoint.get(endpoint.id) ?? 0) + 1);
      const run = this.deliver(db, delivery, endpoint)
        .catch((error: unknown) =>
          this.options.log.warn(
            { err: error, delivery: delivery.id },
            'notifications: a delivery could not be recorded; its lease lets it be sent again',
          ),
        )
        .finally(() => {
          this.inFlight.delete(delivery.id);
          const left = (this.perEndpoint.get(endpoint.id) ?? 1) - 1;
          if (left <= 0) this.perEndpoint.delete(endpoint.id);
          else this.perEndpoint.set(endpoint.id, left);
          this.wake();
        });
      this.inFlight.set(delivery.id, run);
    }
  }

  private async deliver(db: Kysely<LedgerTables>, delivery: ClaimedDelivery, endpoint: Endpoint): Promise<void> {
    const { settings, replica, observer } = this.options;
    const started = this.now();
    if (delivery.attempts === 0) observer?.lag(Math.max(0, started - delivery.event.createdAt) / 1000);
    const body = await this.bodyOf(db, delivery);
    // A payload that cannot be rendered is a failed attempt like any other (retried, then FAILED), never a claim
    // left to lapse and be taken again for ever.
    const result: SendResult =
      body === undefined
        ? { ok: false, status: null, body: '', headers: {}, error: 'the payload could not be rendered', durationMs: 0 }
        : await send(
            {
              url: endpoint.url,
              headers: {
                'content-type': 'application/json',
                'user-agent': 'batchql-webhooks/1',
                ...signatureHeaders({
                  id: delivery.event.id,
                  timestamp: new Date(started),
                  body,
                  secrets: activeSecrets(endpoint.secrets, started),
                }),
              },
              body,
            },
            this.connectOptions(),
          );
    const attempt = delivery.attempts + 1;
    const at = this.now();
    const retryAfter =
      result.status === 429 || result.status === 503 ? parseRetryAfter(result.headers['retry-after'], at) : undefined;
    const next = result.ok ? undefined : nextAttemptAt(settings.retryScheduleMs, attempt, at, retryAfter);
    const opened = await recordAttempt(db, {
      deliveryId: delivery.id,
      endpointId: endpoint.id,
      replica,
      attempt,
      at,
      status: result.status,
      durationMs: result.durationMs,
      error: result.error ?? null,
      response: result.body === '' ? null : result.body,
      ok: result.ok,
      nextAttemptAt: next,
      circuit: { failures: settings.circuitFailures, pauseMs: settings.circuitPauseMs },
    });
    const outcome = result.ok ? 'delivered' : result.refused ? 'refused' : next === undefined ? 'failed' : 'retrying';
    observer?.attempt(outcome, result.durationMs / 1000);
    if (opened) {
      observer?.paused();
      this.options.log.warn(
        { endpoint: endpoint.id, failures: settings.circuitFailures, pauseMs: settings.circuitPauseMs },
        'notifications: an endpoint failed too often in a row and is paused; its deliveries wait',
      );
    }
  }

  /** The event's payload as stored, rendered and stored first when it is not yet; undefined when rendering failed. */
  private async bodyOf(db: Kysely<LedgerTables>, delivery: ClaimedDelivery): Promise<string | undefined> {
    if (delivery.event.body !== null) return delivery.event.body;
    try {
      if (!this.render) throw new Error('no payload renderer: the gateway is not built yet');
      return await storeBody(db, delivery.event.id, await this.render(delivery.event));
    } catch (error) {
      this.options.log.error(
        { err: error, event: delivery.event.id, type: delivery.event.type },
        'notifications: a webhook payload could not be rendered or stored; the attempt counts as failed',
      );
      return undefined;
    }
  }

  /** Deliveries being sent now. */
  get sending(): number {
    return this.inFlight.size;
  }

  /** Stops claiming, and waits (at most `timeoutMs`) for the sends under way to be recorded. */
  async close(timeoutMs = 5_000): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await this.looking;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.inFlight.values()]),
      new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs))),
    ]);
    clearTimeout(timer);
    // Renewed until here: the sends the drain waited for kept their leases.
    if (this.renewTimer) clearInterval(this.renewTimer);
  }
}
