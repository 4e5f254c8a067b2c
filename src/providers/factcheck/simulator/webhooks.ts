import { randomBytes } from 'node:crypto';
import { CHECK_SIGNATURE_HEADER, sign } from '../webhook-signature.js';
import type { SimClock } from '../../../dev/simulators/clock.js';
import { plannedEnd, stateAt, type SimBatch } from '../../../dev/simulators/model.js';
import { iso, type SimResponse } from '../../../dev/simulators/server.js';

/** Where the simulator posts its events, and the secret it signs them with. */
export interface WebhookTarget {
  url: string;
  secret: string;
}

/** The batch events the simulator sends. */
type CheckBatchEventType = 'batch.completed' | 'batch.failed';

/** One event the simulator sent (or tried to), with exactly what went on the wire. */
export interface WebhookDelivery {
  eventId: string;
  type: string;
  batchId: string;
  /** The raw body and its `X-Check-Signature`, so a test can replay them byte for byte. */
  body: string;
  signature: string;
  /** The receiver's HTTP status, or null when the request failed. */
  status: number | null;
  /** The receiver's answer (JSON when it was). */
  response: unknown;
}

/** The Check simulator's webhook sender (`control` in tests, `/__sim/webhooks…` over HTTP). */
export interface FactCheckWebhooks {
  /** Sets (or with null clears) the receiver; without one nothing is sent. */
  configure(target: WebhookTarget | null): void;
  /**
   * Sends `batch.completed`/`batch.failed` for every batch that finished (in the simulator's
   * clock) since the last check, and resolves with those deliveries once answered. Runs on a timer
   * and on every API request too; each finish is sent once.
   */
  check(): Promise<WebhookDelivery[]>;
  /**
   * Sends one event now for `batchId`, whatever its state: the type from its state unless given,
   * a new `evt_` id unless given, `data` its get-batch object unless `body` replaces the whole body.
   */
  send(
    batchId: string,
    overrides?: { type?: string; id?: string; body?: string },
  ): Promise<WebhookDelivery | undefined>;
  /** Every delivery so far, oldest first. */
  deliveries(): WebhookDelivery[];
  /** The `/__sim/webhooks…` control routes. */
  control(method: string, path: string, input: unknown): Promise<SimResponse | undefined>;
  close(): void;
}

/**
 * Check's webhooks as batchql assumes them (docs/providers.md): the envelope
 * `{id:"evt_…", type, createdAt, data: <get-batch object>}`, signed with `X-Check-Signature:
 * t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">` at the simulator's clock.
 */
export function createFactCheckWebhooks(o: {
  clock: SimClock;
  batches: SimBatch[];
  /** The get-batch object of a batch now. */
  detail(b: SimBatch): Record<string, unknown>;
  target?: WebhookTarget | undefined;
  /** How often finished batches are looked for. @default 250 */
  checkEveryMs?: number | undefined;
  /** Brings `batches` up to the clock (rolling batches) before each look. */
  sync?: () => void;
}): FactCheckWebhooks {
  let target = o.target;
  let checkedUpTo = o.clock.now();
  const log: WebhookDelivery[] = [];
  const byId = new Map(o.batches.map((b) => [b.id, b]));

  function finishedType(b: SimBatch, now: number): CheckBatchEventType | undefined {
    const s = stateAt(b, now);
    if (s.phase === 'done') return 'batch.completed';
    if (s.phase === 'failed') return 'batch.failed';
    return undefined;
  }

  async function deliver(eventId: string, type: string, batchId: string, body: string): Promise<WebhookDelivery> {
    const to = target!;
    const signature = sign(to.secret, body, o.clock.now());
    const delivery: WebhookDelivery = { eventId, type, batchId, body, signature, status: null, response: null };
    log.push(delivery);
    try {
      const res = await fetch(to.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [CHECK_SIGNATURE_HEADER]: signature },
        body,
        signal: AbortSignal.timeout(10_000),
      });
      delivery.status = res.status;
      const text = await res.text();
      try {
        delivery.response = JSON.parse(text);
      } catch {
        delivery.response = text;
      }
    } catch {
      delivery.status = null;
    }
    return delivery;
  }

  function envelope(b: SimBatch, type: string, id?: string): { id: string; body: string } {
    const eventId = id ?? `evt_${randomBytes(12).toString('hex')}`;
    return {
      id: eventId,
      body: JSON.stringify({ id: eventId, type, createdAt: iso(o.clock.now()), data: o.detail(b) }),
    };
  }

  const api: FactCheckWebhooks = {
    configure(next) {
      target = next ?? undefined;
      // Only finishes from now on: a receiver set late is not flooded with old events.
      checkedUpTo = o.clock.now();
    },
    check() {
      o.sync?.();
      const now = o.clock.now();
      const from = checkedUpTo;
      checkedUpTo = Math.max(checkedUpTo, now);
      if (!target || now <= from) return Promise.resolve([]);
      const due: Promise<WebhookDelivery>[] = [];
      for (const b of o.batches) {
        // Cheap first: only a batch whose planned end (at its pace) falls in (from, now] can have just finished.
        const end = plannedEnd(b);
        if (end <= from || end > now) continue;
        const s = stateAt(b, now);
        const type = finishedType(b, now);
        if (!type || s.completedAt === null || s.completedAt <= from || s.completedAt > now) continue;
        const event = envelope(b, type);
        due.push(deliver(event.id, type, b.id, event.body));
      }
      return Promise.all(due);
    },
    async send(batchId, overrides = {}) {
      o.sync?.();
      // Batches created since the start (writes, rolling ones) are not in the map built then.
      const b = byId.get(batchId) ?? o.batches.find((x) => x.id === batchId);
      if (!b || !target) return undefined;
      const type = overrides.type ?? finishedType(b, o.clock.now()) ?? 'batch.completed';
      const event = envelope(b, type, overrides.id);
      return deliver(event.id, type, b.id, overrides.body ?? event.body);
    },
    deliveries: () => [...log],
    async control(method, path, input) {
      const body = (input ?? {}) as Record<string, unknown>;
      if (method === 'POST' && path === '/__sim/webhooks') {
        const next =
          typeof body.url === 'string' && typeof body.secret === 'string'
            ? { url: body.url, secret: body.secret }
            : null;
        api.configure(next);
        return { status: 204, body: undefined };
      }
      if (method === 'GET' && path === '/__sim/webhooks')
        return { status: 200, body: { configured: target !== undefined, deliveries: log } };
      if (method === 'POST' && path === '/__sim/webhooks/check') return { status: 200, body: await api.check() };
      if (method === 'POST' && path === '/__sim/webhooks/send') {
        if (typeof body.batchId !== 'string') return { status: 400, body: { error: 'batchId is required' } };
        const sent = await api.send(body.batchId, {
          ...(typeof body.type === 'string' ? { type: body.type } : {}),
          ...(typeof body.id === 'string' ? { id: body.id } : {}),
        });
        return sent
          ? { status: 200, body: sent }
          : { status: 409, body: { error: 'unknown batch, or no webhook receiver configured' } };
      }
      return undefined;
    },
    close() {
      clearInterval(timer);
    },
  };
  const timer = setInterval(() => void api.check(), o.checkEveryMs ?? 250);
  timer.unref();
  return api;
}
