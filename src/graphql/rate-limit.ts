import { getOperationAST, type DocumentNode, type ExecutionResult } from 'graphql';
import { createGraphQLError, type Plugin } from 'graphql-yoga';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { ClientIdentity } from '../identity/identity.js';
import { ErrorCode } from '../domain/errors.js';
import { env, fragment } from '../config/settings.js';
import type { GatewayRedis } from '../redis/connection.js';

/** What the limit reads of the GraphQL context (not `context.ts`, which `config.ts` is imported by). */
type ClientContext = { client: ClientIdentity; socket?: unknown };

/** The transport of a refused operation (the access log's vocabulary): a subscription over HTTP is `sse`. */
export type RefusedTransport = 'http' | 'sse' | 'ws';

/** The inbound rate limit per client (`identity.ts`). */
export interface RateLimitSettings {
  /** Operations one client may start per minute (queries and mutations one each, a subscription once); 0: off. */
  perMinute: number;
}

/** `RATE_LIMIT_PER_MINUTE`: off (`0`) by default. */
export const rateLimitSettings = fragment(
  {
    RATE_LIMIT_PER_MINUTE: env
      .int(0, 0, 10_000_000)
      .meta({ fallback: '`0` (off)' })
      .describe(
        'operations one client ([security.md](security.md#who-a-client-is)) may start per minute, over every ' +
          'transport: a query or mutation counts one, opening a subscription one (its events none); beyond it ' +
          'HTTP answers 429 with `Retry-After` and `RATE_LIMITED`. Shared by the replicas through `REDIS_URL` when set',
      ),
  },
  (v): RateLimitSettings => ({ perMinute: v.RATE_LIMIT_PER_MINUTE }),
  { title: 'Rate limit', says: 'The inbound limit per client ([security.md](security.md#rate-limit)).' },
);

/** What the limiter says about one more operation of a client. */
type RateDecision = { allowed: true } | { allowed: false; retryAfterMs: number };

/** A per-client fixed-window limiter (one minute). */
export interface ClientRateLimiter {
  /** Counts one operation of `clientKey`; refused beyond the limit, with the time until the window ends. */
  consume(clientKey: string): Promise<RateDecision>;
  close(): Promise<void>;
}

/** Options of `createClientRateLimiter`. */
export interface ClientRateLimiterOptions {
  perMinute: number;
  /**
   * Shared between replicas through the gateway's Redis (`redis/connection.ts`, keys `${keyPrefix}ratelimit:…`);
   * else in this process's memory. Its health is reported by the connection, once for every user.
   */
  redis?: GatewayRedis | undefined;
}

const WINDOW_SECONDS = 60;

/**
 * rate-limiter-flexible's fixed one-minute window per client: `RateLimiterMemory`, or with the gateway's
 * Redis `RateLimiterRedis` on its commands connection (no offline queue, a short command timeout,
 * reconnecting forever), so every replica counts against one limit. While Redis is unreachable the
 * `insuranceLimiter` (in memory, same limit, per replica) answers instead: an outage neither blocks nor
 * fails a request. Undefined when the limit is off.
 */
export function createClientRateLimiter(o: ClientRateLimiterOptions): ClientRateLimiter | undefined {
  if (o.perMinute <= 0) return undefined;
  const memory = new RateLimiterMemory({ points: o.perMinute, duration: WINDOW_SECONDS });
  const limiter = o.redis
    ? new RateLimiterRedis({
        storeClient: o.redis.commands,
        points: o.perMinute,
        duration: WINDOW_SECONDS,
        keyPrefix: `${o.redis.keyPrefix}ratelimit`,
        rejectIfRedisNotReady: true,
        insuranceLimiter: memory,
      })
    : memory;
  return {
    async consume(clientKey) {
      try {
        await limiter.consume(clientKey, 1);
        return { allowed: true };
      } catch (outcome) {
        if (outcome instanceof RateLimiterRes) return { allowed: false, retryAfterMs: outcome.msBeforeNext };
        // Not a refusal but a failure of the store and its insurance: let the operation through.
        return { allowed: true };
      }
    },
    // Nothing of its own to close: the connection is the gateway's.
    async close() {},
  };
}

/** The refusal of one operation: HTTP 429 with `Retry-After` (seconds), `RATE_LIMITED` with `retryAfterMs`. */
function rateLimited(retryAfterMs: number, perMinute: number): ExecutionResult {
  const ms = Math.max(0, Math.ceil(retryAfterMs));
  return {
    errors: [
      createGraphQLError(
        `Rate limited: this client may start ${perMinute} operations a minute (RATE_LIMIT_PER_MINUTE); ` +
          `retry in ${Math.ceil(ms / 1000)} s`,
        {
          extensions: {
            code: ErrorCode.RATE_LIMITED,
            retryAfterMs: ms,
            // Yoga answers HTTP with this status and header; the WebSocket transport drops them.
            http: { status: 429, headers: { 'retry-after': String(Math.max(1, Math.ceil(ms / 1000))) } },
          },
        },
      ),
    ],
  };
}

/**
 * The inbound rate limit as an envelop plugin: every query or mutation counts one when it is
 * about to execute, a subscription counts once when it opens (its events never count), over
 * HTTP, SSE and WebSocket alike, keyed by the context's `client` (`identity.ts`). Documents that
 * fail to parse or validate never get here and are not counted; `/health`, `/ready`, `/metrics`
 * and GraphiQL's page execute nothing and are never limited. Yoga's batched requests are off, so
 * an HTTP request is one operation.
 */
export function useClientRateLimit(
  limiter: ClientRateLimiter | undefined,
  perMinute: number,
  onRefused?: (transport: RefusedTransport) => void,
): Plugin<ClientContext> {
  if (!limiter) return {};
  const check = async (
    args: { contextValue: ClientContext; document: DocumentNode; operationName?: string | null },
    stop: (result: ExecutionResult) => void,
  ): Promise<void> => {
    const ctx = args.contextValue;
    const decision = await limiter.consume(ctx.client.key);
    if (decision.allowed) return;
    // The WebSocket transport puts its socket in the context (`transports/ws.ts`).
    const subscription = getOperationAST(args.document, args.operationName)?.operation === 'subscription';
    onRefused?.(ctx.socket !== undefined ? 'ws' : subscription ? 'sse' : 'http');
    stop(rateLimited(decision.retryAfterMs, perMinute));
  };
  return {
    onExecute: ({ args, setResultAndStopExecution }) => check(args, setResultAndStopExecution),
    onSubscribe: ({ args, setResultAndStopExecution }) => check(args, setResultAndStopExecution),
  };
}
