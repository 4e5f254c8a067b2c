import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Batch } from '../domain/batch.js';
import type { BatchProvider } from '../domain/provider.js';
import type { BatchSettled } from '../live/coordinator.js';
import { contextSignal } from '../upstream/call-context.js';
import { CHECK_SIGNATURE_HEADER, SIGNATURE_TOLERANCE_MS, verify } from '../providers/factcheck/webhook-signature.js';
import { REQUEST_ID_HEADER, requestIdOf } from '../observability/request-scope.js';
import type { SeenEvents } from './seen-events.js';

/** The path Check posts its events to. */
export const CHECK_WEBHOOK_PATH = '/webhooks/check';
/** The largest event body accepted (a get-batch object is a few KiB). */
export const MAX_WEBHOOK_BODY_BYTES = 256 * 1024;
/** Event ids are remembered past the tolerance on both sides of now, so no replay fits in between. */
export const SEEN_EVENT_TTL_MS = 3 * SIGNATURE_TOLERANCE_MS;

/** The batch events the gateway acts on. */
const BATCH_EVENTS = new Set(['batch.completed', 'batch.failed']);

/** How one webhook request ended (the `outcome` label of `batchql_webhooks_total`). */
export type WebhookOutcome =
  | 'settled'
  | 'not_terminal'
  | 'duplicate'
  | 'invalid_signature'
  | 'stale_timestamp'
  | 'invalid_json'
  | 'invalid_event'
  | 'unsupported_event_type'
  | 'too_large'
  | 'method_not_allowed'
  | 'confirm_failed'
  | 'unavailable';

/** What the Check webhook route works with. */
export interface CheckWebhookOptions {
  /** `FACTCHECK_WEBHOOK_SECRET`. */
  secret: string;
  /** The FACT_CHECK adapter (request budget, breaker, retries): the confirming read goes through it. */
  provider: BatchProvider;
  /** Ends this process's watches of a settled batch (`PollHub.settle`). */
  settle(message: BatchSettled): Promise<number>;
  /** Tells the other processes (`Coordinator.broadcast`). */
  broadcast(message: BatchSettled): Promise<void>;
  seen: SeenEvents;
  logger: Logger;
  /** Counts every request by outcome. */
  count(outcome: WebhookOutcome): void;
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

/** The event's id and batch id, or a refusal naming what is wrong (never echoing the body). */
function readEvent(raw: Buffer, provider: BatchProvider): { eventId: string; batchId: string; type: string } {
  let event: unknown;
  try {
    event = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new Refusal(400, 'invalid_json', 'the body is not JSON');
  }
  const e = event as { id?: unknown; type?: unknown; data?: { id?: unknown } | null } | null;
  if (typeof e !== 'object' || e === null || Array.isArray(e))
    throw new Refusal(400, 'invalid_event', 'the event is not an object');
  if (typeof e.id !== 'string' || !/^evt_[A-Za-z0-9_-]{1,128}$/.test(e.id))
    throw new Refusal(400, 'invalid_event', 'the event has no valid id ("evt_…")');
  if (typeof e.type !== 'string') throw new Refusal(400, 'invalid_event', 'the event has no type');
  if (!BATCH_EVENTS.has(e.type))
    throw new Refusal(400, 'unsupported_event_type', 'only batch.completed and batch.failed are accepted');
  const batchId = e.data?.id;
  if (typeof batchId !== 'string' || provider.checkId(batchId) !== null)
    throw new Refusal(400, 'invalid_event', 'data.id is not a Check batch id');
  return { eventId: e.id, batchId, type: e.type };
}

/**
 * `POST /webhooks/check` in front of `handler` (everything else goes to it). The route is outside
 * GraphQL, so neither client authentication nor CSRF prevention applies: its signature
 * authenticates it. A verified, new `batch.completed`/`batch.failed` event makes one confirming
 * read of the batch through the provider adapter; a terminal state is pushed to every subscriber
 * on every replica and ends that batch's polling. Everything else has no effect.
 */
export function withCheckWebhook(handler: RequestListener, o: CheckWebhookOptions | undefined): RequestListener {
  if (!o) return handler;
  const max = o.maxBodyBytes ?? MAX_WEBHOOK_BODY_BYTES;
  const now = o.now ?? Date.now;
  return (req, res) => {
    if ((req.url ?? '/').split('?')[0] !== CHECK_WEBHOOK_PATH) return handler(req, res);
    const requestId = requestIdOf(req.headers[REQUEST_ID_HEADER] as string | undefined);
    res.setHeader(REQUEST_ID_HEADER, requestId);
    const log = o.logger.child({ requestId, provider: 'FACT_CHECK', route: CHECK_WEBHOOK_PATH });
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
        log.warn({ outcome: refusal.outcome, status: refusal.status }, `Check webhook refused: ${refusal.message}`);
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
    const header = req.headers[CHECK_SIGNATURE_HEADER];
    const checked = verify(o!.secret, typeof header === 'string' ? header : undefined, raw, now());
    if (!checked.ok) {
      if (checked.fault === 'stale')
        throw new Refusal(401, 'stale_timestamp', 'the signature time is more than 5 minutes from now');
      throw new Refusal(401, 'invalid_signature', 'missing or invalid X-Check-Signature');
    }
    const { eventId, batchId, type } = readEvent(raw, o!.provider);
    let fresh: boolean;
    try {
      fresh = await o!.seen.claim(`check:${eventId}`);
    } catch {
      throw new Refusal(503, 'unavailable', 'the event store is unavailable; send the event again later');
    }
    if (!fresh) {
      log.info({ outcome: 'duplicate', eventId }, 'Check webhook: event already received; ignored');
      return { status: 200, outcome: 'duplicate', body: { received: true, duplicate: true } };
    }
    let batch: Batch;
    try {
      batch = await o!.provider.get(batchId, { signal: contextSignal({ traffic: 'first-read' }) });
    } catch (error) {
      // Nothing happened: let a redelivery of this event be processed.
      await o!.seen.release(`check:${eventId}`).catch(() => {});
      log.warn(
        { outcome: 'confirm_failed', eventId, batchId, code: (error as { code?: string } | null)?.code },
        'Check webhook: the confirming read failed; polling goes on',
      );
      throw new Refusal(502, 'confirm_failed', 'the batch could not be read from Check; send the event again later');
    }
    if (!batch.isTerminal) {
      log.warn(
        { outcome: 'not_terminal', eventId, batchId, type, status: batch.status },
        'Check webhook: the batch is not terminal on Check; polling goes on',
      );
      return {
        status: 202,
        outcome: 'not_terminal',
        body: { received: true, settled: false, note: 'the batch is not terminal yet; polling goes on' },
      };
    }
    const message: BatchSettled = { provider: 'FACT_CHECK', providerBatchId: batchId, batch };
    const watches = await o!.settle(message);
    await o!
      .broadcast(message)
      .catch((error: unknown) =>
        log.warn(
          { eventId, batchId, reason: (error as Error | null)?.message?.slice(0, 120) },
          'Check webhook: other replicas could not be told; they stop polling when they read the terminal state',
        ),
      );
    log.info({ outcome: 'settled', eventId, batchId, status: batch.status, watches }, 'Check webhook: batch settled');
    return { status: 200, outcome: 'settled', body: { received: true, settled: true, status: batch.status } };
  }
}
