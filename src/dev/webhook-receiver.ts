/**
 * A webhook receiver for the demo, the tests and the benchmarks: a real HTTP server (loopback by default) that
 * takes `POST /hooks`, verifies each request's Standard Webhooks signature with the `standardwebhooks` package
 * (as a subscriber's own endpoint would, so a delivery it accepts is one any Standard Webhooks receiver accepts),
 * records it, and answers as scripted (`respond`): statuses, headers, bodies and delays, to play a failing or slow
 * endpoint against the sender's retries and time-outs.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

/** The largest body taken (1 MiB); a larger one is answered 413 and not recorded. */
const MAX_BODY_BYTES = 1024 * 1024;

/** The one route served. */
const HOOK_PATH = '/hooks';

/** One request to `POST /hooks` as the receiver saw it, signed or not. */
export interface ReceivedDelivery {
  /** `webhook-id` ('' when missing): the message's id, the same on each of its attempts. */
  id: string;
  /** `webhook-timestamp` as sent ('' when missing): Unix seconds. */
  timestamp: string;
  /** `webhook-signature`'s space-separated parts (`v1,<base64>` each), in the order sent. */
  signatures: string[];
  /** At least one of the receiver's secrets verified it (`verifiedWith` is not empty). */
  verified: boolean;
  /**
   * Which of the receiver's secrets verified it, each checked on its own with `new Webhook(secret).verify`: during
   * a rotation a message signed with the old secret and the new one names both.
   */
  verifiedWith: string[];
  /** Why the first secret refused it (`standardwebhooks`' message, e.g. "Message timestamp too old"), or null. */
  verifyError: string | null;
  /** Which request with this `webhook-id` it is, from 1: its delivery attempt, as far as this receiver knows. */
  attempt: number;
  /** The body parsed as JSON; undefined when empty or not JSON. */
  body: unknown;
  /** The body as received (UTF-8), the bytes that were verified. */
  raw: string;
  /** The request's headers, names lowercased (repeated ones joined by `, `, as node:http does). */
  headers: Record<string, string>;
  /** When it was read in full (epoch ms, the real clock). */
  receivedAt: number;
  /** The status it was answered (or is being answered, after `delayMs`). */
  status: number;
}

/** A delivery as `respond` sees it: not yet answered. */
export type IncomingDelivery = Omit<ReceivedDelivery, 'status'>;

/** How to answer one delivery. */
export interface ScriptedResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string;
  /** Waits this long before answering (a slow endpoint, or one the sender gives up on). @default 0 */
  delayMs?: number;
}

export interface WebhookReceiverOptions {
  /**
   * The secrets it verifies with (`whsec_…`): a list, or a function read on every request, so a test can rotate
   * them while it runs. Empty: nothing verifies.
   */
  secrets: readonly string[] | (() => readonly string[]);
  /** @default 0 (a free port) */
  port?: number;
  /** Address to listen on. @default 127.0.0.1 */
  host?: string;
  /**
   * How to answer each delivery, verified or not; its answer wins. Without it (or when it throws, then 500): 204
   * for a verified delivery, 400 for one that is not.
   */
  respond?: (delivery: IncomingDelivery) => ScriptedResponse | Promise<ScriptedResponse>;
  /** Told one line per delivery (type, id, batch, verified or why not, and any status other than 2xx). */
  log?: (line: string) => void;
}

/** A running receiver. */
export interface WebhookReceiver {
  /** `http://HOST:PORT/hooks`, the endpoint URL to subscribe. */
  url: string;
  /** Every delivery so far, oldest first (the live list: it grows as they come). */
  readonly deliveries: ReceivedDelivery[];
  /**
   * The first delivery, recorded already or still to come, that `predicate` accepts. Rejects after `timeoutMs`
   * (naming how many came and what they were), or when the receiver is closed.
   */
  waitFor(predicate: (delivery: ReceivedDelivery) => boolean, timeoutMs?: number): Promise<ReceivedDelivery>;
  /** The first `count` deliveries, once that many have come. Rejects after `timeoutMs` with how many came. */
  waitForCount(count: number, timeoutMs?: number): Promise<ReceivedDelivery[]>;
  /** Stops listening and drops its connections; pending waits reject. */
  close(): Promise<void>;
}

const DEFAULT_WAIT_MS = 5_000;

/** One line about a delivery for `log`: tolerant of any body (the gateway's is `{ type, timestamp, data }`). */
function describe(d: ReceivedDelivery): string {
  const body = (typeof d.body === 'object' && d.body !== null ? d.body : {}) as Record<string, unknown>;
  const type = typeof body.type === 'string' ? body.type : '(no type)';
  const data = body.data as Record<string, unknown> | undefined;
  const batch = (typeof data === 'object' && data !== null ? data.batch : undefined) as
    Record<string, unknown> | undefined;
  let subject = '';
  if (typeof batch === 'object' && batch !== null) {
    const kind = [batch.__typename, batch.kind].find((v) => typeof v === 'string') ?? 'batch';
    const id = [batch.providerBatchId, batch.id].find((v) => typeof v === 'string' || typeof v === 'number');
    subject = `  ${String(kind)}${id === undefined ? '' : ` ${String(id)}`}`;
  }
  const verdict = d.verified ? 'verified' : `NOT verified (${d.verifyError ?? 'no secret'})`;
  const status = d.status >= 200 && d.status < 300 ? '' : `  → ${d.status}`;
  return `webhook  ${type}  ${d.id || '(no id)'}${subject}  ${verdict}${status}`;
}

/** The request's headers as single strings (node:http gives arrays for a few, e.g. `set-cookie`). */
function flatHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/** The body, or null once it passes `MAX_BODY_BYTES` (the rest is read and dropped, so the 413 reaches the sender). */
async function readBody(req: IncomingMessage): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= MAX_BODY_BYTES) chunks.push(chunk);
  }
  return size > MAX_BODY_BYTES ? null : Buffer.concat(chunks);
}

/** Checks `raw` against each secret on its own: the ones that verify it, and the first refusal's reason. */
function verify(raw: Buffer, headers: Record<string, string>, secrets: readonly string[]) {
  const verifiedWith: string[] = [];
  let verifyError: string | null = null;
  for (const secret of secrets) {
    try {
      // jsonParse off: the signature is what is checked; a body that is not JSON is still a verified delivery.
      new Webhook(secret).verify(raw, headers, { jsonParse: false });
      verifiedWith.push(secret);
    } catch (error) {
      verifyError ??= error instanceof Error ? error.message : String(error);
    }
  }
  return { verifiedWith, verifyError: verifiedWith.length > 0 ? null : verifyError };
}

/** Starts a receiver; resolves once it listens. */
export async function startWebhookReceiver(options: WebhookReceiverOptions): Promise<WebhookReceiver> {
  const secretsNow = () => (typeof options.secrets === 'function' ? options.secrets() : options.secrets);
  const deliveries: ReceivedDelivery[] = [];
  const attempts = new Map<string, number>();
  /** Pending waits, each told of every new delivery (and of the close, with an error). */
  const waiters = new Set<(error?: Error) => void>();
  let closed = false;

  const record = (delivery: ReceivedDelivery) => {
    deliveries.push(delivery);
    for (const wake of [...waiters]) wake();
    options.log?.(describe(delivery));
  };

  const answer = (res: ServerResponse, status: number, body = '', headers: Record<string, string> = {}) => {
    if (res.destroyed) return;
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
    res.end(body);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://receiver').pathname;
    if (req.method !== 'POST' || path !== HOOK_PATH) {
      req.resume();
      return answer(res, 404, 'not found\n');
    }
    const declared = Number(req.headers['content-length']);
    const raw = declared > MAX_BODY_BYTES ? null : await readBody(req);
    if (raw === null) {
      // Too large. A body declared so (content-length) is drained unread and the connection closes after the
      // answer; a chunked one was read to its end (keeping none of it past the limit), so its connection stays.
      if (!req.readableEnded) res.setHeader('connection', 'close');
      req.resume();
      options.log?.(`webhook  413  ${req.headers['webhook-id'] ?? '(no id)'}: body over ${MAX_BODY_BYTES} bytes`);
      return answer(res, 413, 'payload too large\n');
    }
    const headers = flatHeaders(req);
    const text = raw.toString('utf8');
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    const id = headers['webhook-id'] ?? '';
    const attempt = (attempts.get(id) ?? 0) + 1;
    attempts.set(id, attempt);
    const { verifiedWith, verifyError } = verify(raw, headers, secretsNow());
    const incoming: IncomingDelivery = {
      id,
      timestamp: headers['webhook-timestamp'] ?? '',
      signatures: (headers['webhook-signature'] ?? '').split(' ').filter(Boolean),
      verified: verifiedWith.length > 0,
      verifiedWith,
      verifyError,
      attempt,
      body,
      raw: text,
      headers,
      receivedAt: Date.now(),
    };
    let scripted: ScriptedResponse;
    try {
      scripted = options.respond
        ? await options.respond(incoming)
        : {
            status: incoming.verified ? 204 : 400,
            body: incoming.verified ? '' : `${verifyError ?? 'no secret to verify with'}\n`,
          };
    } catch (error) {
      options.log?.(`webhook  respond() threw: ${(error as Error).message ?? String(error)}`);
      scripted = { status: 500, body: 'respond() threw\n' };
    }
    // Recorded once its answer is decided, before any delay: a sender that gives up still delivered it.
    record({ ...incoming, status: scripted.status });
    if (scripted.delayMs) await new Promise((resolve) => setTimeout(resolve, scripted.delayMs));
    answer(res, scripted.status, scripted.body ?? '', scripted.headers ?? {});
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      options.log?.(`webhook  receiver error: ${(error as Error).message ?? String(error)}`);
      if (!res.headersSent) answer(res, 500, 'receiver error\n');
      else res.destroy();
    });
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '[::1]' : host.includes(':') ? `[${host}]` : host;

  const waitFor = (predicate: (d: ReceivedDelivery) => boolean, timeoutMs: number, what: () => string) =>
    new Promise<ReceivedDelivery>((resolve, reject) => {
      let seen = 0;
      const timer = setTimeout(() => done(new Error(what())), timeoutMs);
      const done = (error?: Error, found?: ReceivedDelivery) => {
        clearTimeout(timer);
        waiters.delete(wake);
        if (error) reject(error);
        else resolve(found!);
      };
      const wake = (error?: Error) => {
        if (error) return done(error);
        for (; seen < deliveries.length; seen++) {
          if (predicate(deliveries[seen]!)) return done(undefined, deliveries[seen]);
        }
      };
      if (closed) return done(new Error('webhook receiver: closed'));
      waiters.add(wake);
      wake();
    });

  const summary = () =>
    deliveries.length === 0
      ? 'none came'
      : `${deliveries.length} came: ${deliveries
          .slice(-5)
          .map((d) => `${d.id || '(no id)'} ${d.verified ? 'verified' : 'unverified'} → ${d.status}`)
          .join(', ')}${deliveries.length > 5 ? ' (the last 5)' : ''}`;

  return {
    url: `http://${urlHost}:${port}${HOOK_PATH}`,
    deliveries,
    waitFor: (predicate, timeoutMs = DEFAULT_WAIT_MS) =>
      waitFor(
        predicate,
        timeoutMs,
        () => `webhook receiver: no matching delivery within ${timeoutMs} ms (${summary()})`,
      ),
    waitForCount: async (count, timeoutMs = DEFAULT_WAIT_MS) => {
      if (deliveries.length < count) {
        await waitFor(
          () => deliveries.length >= count,
          timeoutMs,
          () => `webhook receiver: expected ${count} deliveries within ${timeoutMs} ms, got ${deliveries.length}`,
        );
      }
      return deliveries.slice(0, count);
    },
    close: async () => {
      if (closed) return;
      closed = true;
      for (const wake of [...waiters]) wake(new Error('webhook receiver: closed before the delivery came'));
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
