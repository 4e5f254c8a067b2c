import { env, fragment, notAbove } from '../config/settings.js';
import type { UpstreamPolicy } from './policy.js';

/** Limits shared by every provider's HTTP client. */
export interface UpstreamLimits {
  /** Pool size per provider (`UPSTREAM_CONNECTIONS`; a provider's `<NAME>_UPSTREAM_CONNECTIONS` overrides it). */
  connections: number;
  /** How long an idle upstream connection is kept open for reuse (`UPSTREAM_KEEP_ALIVE_MS`). */
  keepAliveMs: number;
  connectTimeoutMs: number;
  headersTimeoutMs: number;
  bodyTimeoutMs: number;
  deadlineMs: number;
  maxResponseBytes: number;
  /** Concurrent upstream GETs one request may have in flight per provider (`nodes`). */
  perRequestConcurrency: number;
  /** Upstream calls one GraphQL request may cost, estimated before execution and counted while it runs. */
  maxCallsPerRequest: number;
  /** Overall deadline of one query response; unfinished fields get PROVIDER_TIMEOUT. */
  requestDeadlineMs: number;
  /** Fraction of each provider's request budget kept for interactive calls (polling gets the rest). */
  interactiveShare: number;
  /** How long an interactive call waits for budget before PROVIDER_RATE_LIMITED. */
  budgetWaitMs: number;
  /**
   * The most of a provider's interactive part one client may take while other clients wait
   * (`UPSTREAM_CLIENT_SHARE`); alone, a client may use all of it.
   */
  clientShare: number;
  /** Retries, circuit breaker and bulkhead per provider. */
  policy: UpstreamPolicy;
}

const MINUTES_10 = 600_000;
const HOUR = 3_600_000;
/** Calls in flight per provider (`UPSTREAM_MAX_CONCURRENT`), and so the pool's default size. */
const MAX_CONCURRENT = 32;
/** `UPSTREAM_CONNECT_TIMEOUT_MS` and `UPSTREAM_HEADERS_TIMEOUT_MS` unset: these, or the call's deadline when lower. */
const CONNECT_TIMEOUT_MS = 5_000;
const HEADERS_TIMEOUT_MS = 10_000;

/**
 * `UPSTREAM_*` (budget sharing included), `MAX_UPSTREAM_CALLS_PER_REQUEST` and `REQUEST_DEADLINE_MS`: the only
 * place their defaults are written (the upstream stack takes every one of them as a required option).
 */
export const upstreamSettings = fragment(
  {
    // As many sockets as the bulkhead lets calls fly: with fewer (10 before issue 13), calls the bulkhead
    // admitted waited in undici's queue instead, and a 50-connection load was capped by the pool.
    UPSTREAM_CONNECTIONS: env
      .int(MAX_CONCURRENT, 1, 1000)
      .describe(
        'undici pool size per provider: by default as many sockets as the bulkhead lets calls fly ' +
          "(`UPSTREAM_MAX_CONCURRENT`), so no admitted call waits in undici's queue (10 before issue 13; " +
          "`npm run bench` measured the pool as the cap); a provider's `<NAME>_UPSTREAM_CONNECTIONS` overrides it",
      ),
    UPSTREAM_KEEP_ALIVE_MS: env
      .int(4_000, 1, MINUTES_10)
      .describe(
        "how long an idle upstream connection stays open for reuse; a provider's own shorter " +
          '`Keep-Alive: timeout` hint (less 1 s) still wins',
      ),
    // Unset, each is its default or `UPSTREAM_DEADLINE_MS` when that is lower (`build`), so lowering the
    // deadline alone starts.
    UPSTREAM_CONNECT_TIMEOUT_MS: env
      .intOrUnset(1, MINUTES_10)
      .meta({ fallback: `\`${CONNECT_TIMEOUT_MS}\`, or \`UPSTREAM_DEADLINE_MS\` when lower` })
      .describe('TCP/TLS connect timeout'),
    UPSTREAM_HEADERS_TIMEOUT_MS: env
      .intOrUnset(1, MINUTES_10)
      .meta({ fallback: `\`${HEADERS_TIMEOUT_MS}\`, or \`UPSTREAM_DEADLINE_MS\` when lower` })
      .describe('time to response headers'),
    UPSTREAM_BODY_TIMEOUT_MS: env.int(10_000, 1, MINUTES_10).describe('idle time between body chunks'),
    UPSTREAM_DEADLINE_MS: env
      .int(15_000, 1, MINUTES_10)
      .describe('overall deadline of one upstream call, connect to last byte'),
    UPSTREAM_MAX_RESPONSE_BYTES: env
      .int(5 * 1024 * 1024, 1024, 1024 ** 3)
      .describe('larger upstream bodies are refused (`PROVIDER_BAD_RESPONSE`)'),
    UPSTREAM_PER_REQUEST_CONCURRENCY: env
      .int(8, 1, 100)
      .describe('upstream calls one GraphQL request may have in flight per provider'),
    MAX_UPSTREAM_CALLS_PER_REQUEST: env
      .int(200, 1, 1_000_000)
      .describe(
        'upstream calls one GraphQL request may cost: its worst case is estimated before execution ' +
          '(`QUERY_TOO_COMPLEX` beyond), and calls are counted as they go out ' +
          '([resilience.md](resilience.md#per-request))',
      ),
    REQUEST_DEADLINE_MS: env
      .int(20_000, 100, HOUR)
      .describe(
        'overall deadline of one query response; fields still waiting then get `PROVIDER_TIMEOUT` and the ' +
          'response goes out with the rest (subscriptions are not cut)',
      ),
    UPSTREAM_INTERACTIVE_SHARE: env
      .number(0.3, 0, 0.9)
      .describe('share of every provider window kept for interactive calls; polling keeps the rest'),
    UPSTREAM_BUDGET_WAIT_MS: env
      .int(1_000, 0, MINUTES_10)
      .describe('how long an interactive call waits for budget before `PROVIDER_RATE_LIMITED` with `retryAfterMs`'),
    UPSTREAM_CLIENT_SHARE: env
      .number(0.25, 0.01, 1)
      .describe(
        "the most of a provider's interactive part one client may take while other clients wait for it " +
          '(1 turns fairness off); alone, a client may use all but half a share ' +
          '([resilience.md](resilience.md#provider-quotas-one-budget-per-provider))',
      ),
    UPSTREAM_RETRIES: env
      .int(2, 0, 10)
      .describe('extra attempts of an idempotent (GET) upstream call after a 5xx, reset, timeout, bad body or 429'),
    UPSTREAM_RETRY_BASE_MS: env
      .int(100, 1, 60_000)
      .describe('first backoff between attempts (exponential, with full jitter)'),
    UPSTREAM_RETRY_MAX_MS: env.int(2_000, 1, MINUTES_10).describe('longest backoff between attempts'),
    UPSTREAM_RETRY_AFTER_CAP_MS: env
      .int(5_000, 0, MINUTES_10)
      .describe(
        'a longer `Retry-After` is not waited for: the call fails at once with `PROVIDER_RATE_LIMITED` and ' +
          '`retryAfterMs`',
      ),
    UPSTREAM_BREAKER_THRESHOLD: env
      .int(5, 1, 10_000)
      .describe("consecutive failed calls that open a provider's circuit breaker"),
    UPSTREAM_BREAKER_HALF_OPEN_MS: env
      .int(10_000, 1, HOUR)
      .describe('how long an open breaker fails fast before letting one probe through'),
    UPSTREAM_MAX_CONCURRENT: env.int(MAX_CONCURRENT, 1, 10_000).describe('bulkhead per provider: calls in flight'),
    UPSTREAM_MAX_QUEUED: env.int(512, 0, 1_000_000).describe('bulkhead per provider: calls waiting for a slot'),
  },
  (v): UpstreamLimits => ({
    connections: v.UPSTREAM_CONNECTIONS,
    keepAliveMs: v.UPSTREAM_KEEP_ALIVE_MS,
    connectTimeoutMs: v.UPSTREAM_CONNECT_TIMEOUT_MS ?? Math.min(CONNECT_TIMEOUT_MS, v.UPSTREAM_DEADLINE_MS),
    headersTimeoutMs: v.UPSTREAM_HEADERS_TIMEOUT_MS ?? Math.min(HEADERS_TIMEOUT_MS, v.UPSTREAM_DEADLINE_MS),
    bodyTimeoutMs: v.UPSTREAM_BODY_TIMEOUT_MS,
    deadlineMs: v.UPSTREAM_DEADLINE_MS,
    maxResponseBytes: v.UPSTREAM_MAX_RESPONSE_BYTES,
    perRequestConcurrency: v.UPSTREAM_PER_REQUEST_CONCURRENCY,
    maxCallsPerRequest: v.MAX_UPSTREAM_CALLS_PER_REQUEST,
    requestDeadlineMs: v.REQUEST_DEADLINE_MS,
    interactiveShare: v.UPSTREAM_INTERACTIVE_SHARE,
    budgetWaitMs: v.UPSTREAM_BUDGET_WAIT_MS,
    clientShare: v.UPSTREAM_CLIENT_SHARE,
    policy: {
      retries: v.UPSTREAM_RETRIES,
      retryBaseMs: v.UPSTREAM_RETRY_BASE_MS,
      retryMaxMs: v.UPSTREAM_RETRY_MAX_MS,
      retryAfterCapMs: v.UPSTREAM_RETRY_AFTER_CAP_MS,
      breakerThreshold: v.UPSTREAM_BREAKER_THRESHOLD,
      breakerHalfOpenMs: v.UPSTREAM_BREAKER_HALF_OPEN_MS,
      maxConcurrent: v.UPSTREAM_MAX_CONCURRENT,
      maxQueued: v.UPSTREAM_MAX_QUEUED,
    },
  }),
  {
    title: 'Upstream calls',
    says:
      "Every provider's HTTP client: its pool, timeouts, retries, circuit breaker and bulkhead " +
      '([resilience.md](resilience.md)), its request budget shared between queries and polling, and what one ' +
      'GraphQL request may cost upstream.',
    rules: [
      notAbove('UPSTREAM_RETRY_BASE_MS', 'UPSTREAM_RETRY_MAX_MS'),
      notAbove(
        ['UPSTREAM_CONNECT_TIMEOUT_MS', 'UPSTREAM_HEADERS_TIMEOUT_MS'],
        'UPSTREAM_DEADLINE_MS',
        '`UPSTREAM_CONNECT_TIMEOUT_MS` and `UPSTREAM_HEADERS_TIMEOUT_MS` may not exceed `UPSTREAM_DEADLINE_MS`: a ' +
          "per-phase timeout is part of the call's deadline. Unset, each is its default or the deadline when " +
          'that is lower, so lowering `UPSTREAM_DEADLINE_MS` alone is enough.',
      ),
    ],
  },
);
