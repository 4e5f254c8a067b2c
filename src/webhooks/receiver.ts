import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Batch, ProviderName } from '../domain/batch.js';
import type { BatchProvider } from '../domain/provider.js';
import type { BatchSettled } from '../live/coordinator.js';
import { contextSignal } from '../upstream/call-context.js';
import { REQUEST_ID_HEADER, requestIdOf } from '../observability/request-scope.js';
import type { SeenEvents } from './seen-events.js';
import type { WebhookOutcome, WebhookParser } from './types.js';

/** The largest event body accepted (a get-batch object is a few KiB). */
const MAX_WEBHOOK_BODY_BYTES = 256 * 1024;

/** How long event ids are remembered: past the tolerance on both sides of now, so no replay fits in between. */
export function seenEventTtlMs(toleranceMs: number): number {
  return 3 * toleranceMs;
}

/** What one provider's webhook route works with. */
export interface WebhookRouteOptions {
  /** The provider's name: the `provider` of its logs, metrics and settled messages. */
  name: ProviderName;
  /** Its route, how it reads and verifies events (`ProviderDefinition.webhook`). */
  webhook: WebhookParser;
  /** Its signing secret (from its settings). */
  secret: string;
  /** Its adapter (request budget, breaker, retries): the confirming read goes through it. */
  provider: BatchProvider;
  /** Ends this process's watches of a settled batch (`PollHub.settle`). */
  settle(message: BatchSettled): Promise<number>;
  /** Tells the other processes (`Coordinator.broadcast`). */
  broadcast(message: BatchSettled): Promise<void>;
  seen: SeenEvents;
  logger: Logger;
  /** Counts every request by outcome. */
  count(outcome: WebhookOutcome): void;
  /** Told of every event confirmed by a read (the batch's timeline records it), terminal or not. */
  noted?: ((batch: Batch, type: string) => void) | undefined;
  /** The clock the signature time is checked against. @default Date.now */
  now?: () => number;
  maxBodyBytes?: number;
}

class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly outcome: WebhookOutcome,
    message: string,
  ) {
    super(message);
  }
}

/** Reads the raw body (the signature covers its bytes), refusing it past `max` bytes. */
function readRaw(req: IncomingMessage, max: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > max) {
    req.resume();
    return Promise.reject(new Refusal(413, 'too_large', `body larger than ${max} bytes`));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        req.off('data', onData);
        req.resume();
        reject(new Refusal(413, 'too_large', `body larger than ${max} bytes`));
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
  });
}

function reply(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(text);
}

/**
 * One provider's webhook route. It is outside GraphQL, so neither client authentication nor CSRF
 * prevention applies: its signature authenticates it. A verified, new event the provider's parser
 * accepts makes one confirming read of the batch through the provider adapter; a terminal state is
 * pushed to every subscriber on every replica and ends that batch's polling. Everything else has no effect.
 */
function webhookRoute(o: WebhookRouteOptions): RequestListener {
  const max = o.maxBodyBytes ?? MAX_WEBHOOK_BODY_BYTES;
  const now = o.now ?? Date.now;
  const { path, label } = o.webhook;
  return (req, res) => {
    const requestId = requestIdOf(req.headers[REQUEST_ID_HEADER] as string | undefined);
    res.setHeader(REQUEST_ID_HEADER, requestId);
    const log = o.logger.child({ requestId, provider: o.name, route: path });
    void receive(req, log).then(
      ({ status, outcome, body }) => {
        o.count(outcome);
        reply(res, status, body);
      },
      (error: unknown) => {
        const refusal =
          error instanceof Refusal ? error : new Refusal(500, 'confirm_failed', 'the event could not be processed');
        o.count(refusal.outcome);
        // Never the body: it is the provider's data, and a forged one is the sender's.
        log.warn({ outcome: refusal.outcome, status: refusal.status }, `${label} webhook refused: ${refusal.message}`);
        const headers: Record<string, string> = {};
        if (refusal.status === 413) headers.connection = 'close';
        if (refusal.status === 405) headers.allow = 'POST';
        if (refusal.status === 502 || refusal.status === 503) headers['retry-after'] = '30';
        reply(res, refusal.status, { error: { code: refusal.outcome, message: refusal.message } }, headers);
      },
    );
  };

  async function receive(
    req: IncomingMessage,
    log: Logger,
  ): Promise<{ status: number; outcome: WebhookOutcome; body: unknown }> {
    if (req.method !== 'POST') {
      req.resume();
      throw new Refusal(405, 'method_not_allowed', 'use POST');
    }
    const raw = await readRaw(req, max);
    const parsed = o.webhook.parse(raw, req.headers, o.secret, now());
    if (!parsed.ok) throw new Refusal(parsed.status, parsed.outcome, parsed.message);
    const { eventId, providerBatchId: batchId, type } = parsed;
    const seenKey = `${o.webhook.eventNamespace}:${eventId}`;
    let fresh: boolean;
    try {
      fresh = await o.seen.claim(seenKey);
    } catch {
      throw new Refusal(503, 'unavailable', 'the event store is unavailable; send the event again later');
    }
    if (!fresh) {
      log.info({ outcome: 'duplicate', eventId }, `${label} webhook: event already received; ignored`);
      return { status: 200, outcome: 'duplicate', body: { received: true, duplicate: true } };
    }
    let batch: Batch;
    try {
      batch = await o.provider.get(batchId, { signal: contextSignal({ traffic: 'first-read' }) });
    } catch (error) {
      // Nothing happened: let a redelivery of this event be processed.
      await o.seen.release(seenKey).catch(() => {});
      log.warn(
        { outcome: 'confirm_failed', eventId, batchId, code: (error as { code?: string } | null)?.code },
        `${label} webhook: the confirming read failed; polling goes on`,
      );
      throw new Refusal(502, 'confirm_failed', `the batch could not be read from ${label}; send the event again later`);
    }
    o.noted?.(batch, type);
    if (!batch.isTerminal) {
      log.warn(
        { outcome: 'not_terminal', eventId, batchId, type, status: batch.status },
        `${label} webhook: the batch is not terminal on ${label}; polling goes on`,
      );
      return {
        status: 202,
        outcome: 'not_terminal',
        body: { received: true, settled: false, note: 'the batch is not terminal yet; polling goes on' },
      };
    }
    const message: BatchSettled = { provider: o.name, providerBatchId: batchId, batch };
    const watches = await o.settle(message);
    await o
      .broadcast(message)
      .catch((error: unknown) =>
        log.warn(
          { eventId, batchId, reason: (error as Error | null)?.message?.slice(0, 120) },
          `${label} webhook: other replicas could not be told; they stop polling when they read the terminal state`,
        ),
      );
    log.info(
      { outcome: 'settled', eventId, batchId, status: batch.status, watches },
      `${label} webhook: batch settled`,
    );
    return { status: 200, outcome: 'settled', body: { received: true, settled: true, status: batch.status } };
  }
}

/**
 * Each provider's webhook route (`POST <webhook.path>`) in front of `handler`, which gets every other
 * request (and all of them when `routes` is empty).
 */
export function withWebhooks(handler: RequestListener, routes: readonly WebhookRouteOptions[]): RequestListener {
  if (routes.length === 0) return handler;
  const byPath = new Map<string, RequestListener>();
  for (const route of routes) {
    if (byPath.has(route.webhook.path)) throw new Error(`two providers serve the webhook path ${route.webhook.path}`);
    byPath.set(route.webhook.path, webhookRoute(route));
  }
  return (req, res) => {
    const route = byPath.get((req.url ?? '/').split('?')[0]!);
    if (!route) return handler(req, res);
    return route(req, res);
  };
}
