import { env, fragment } from '../config/settings.js';
import { DEFAULT_UPSTREAM_POLICY, type UpstreamPolicy } from './policy.js';

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

/** Default upstream limits (see docs/configuration.md). */
export const DEFAULT_UPSTREAM_LIMITS: Omit<UpstreamLimits, 'policy'> = {
  // As many sockets as the bulkhead lets calls fly: with fewer (10 before issue 13), calls the bulkhead
  // admitted waited in undici's queue instead, and a 50-connection load was capped by the pool.
  connections: DEFAULT_UPSTREAM_POLICY.maxConcurrent,
  keepAliveMs: 4_000,
  connectTimeoutMs: 5_000,
  headersTimeoutMs: 10_000,
  bodyTimeoutMs: 10_000,
  deadlineMs: 15_000,
  maxResponseBytes: 5 * 1024 * 1024,
  perRequestConcurrency: 8,
  maxCallsPerRequest: 200,
  requestDeadlineMs: 20_000,
  interactiveShare: 0.3,
  budgetWaitMs: 1_000,
  clientShare: 0.25,
};

const L = DEFAULT_UPSTREAM_LIMITS;
const P = DEFAULT_UPSTREAM_POLICY;
const MINUTES_10 = 600_000;
const HOUR = 3_600_000;

/**
 * `UPSTREAM_*` (budget sharing included), `MAX_UPSTREAM_CALLS_PER_REQUEST` and `REQUEST_DEADLINE_MS`. The retry
 * base delay may not exceed its maximum, nor the connect and headers timeouts the whole call's deadline.
 */
export const upstreamSettings = fragment(
  {
    UPSTREAM_CONNECTIONS: env.int(L.connections, 1, 1000),
    UPSTREAM_KEEP_ALIVE_MS: env.int(L.keepAliveMs, 1, MINUTES_10),
    UPSTREAM_CONNECT_TIMEOUT_MS: env.int(L.connectTimeoutMs, 1, MINUTES_10),
    UPSTREAM_HEADERS_TIMEOUT_MS: env.int(L.headersTimeoutMs, 1, MINUTES_10),
    UPSTREAM_BODY_TIMEOUT_MS: env.int(L.bodyTimeoutMs, 1, MINUTES_10),
    UPSTREAM_DEADLINE_MS: env.int(L.deadlineMs, 1, MINUTES_10),
    UPSTREAM_MAX_RESPONSE_BYTES: env.int(L.maxResponseBytes, 1024, 1024 ** 3),
    UPSTREAM_PER_REQUEST_CONCURRENCY: env.int(L.perRequestConcurrency, 1, 100),
    MAX_UPSTREAM_CALLS_PER_REQUEST: env.int(L.maxCallsPerRequest, 1, 1_000_000),
    REQUEST_DEADLINE_MS: env.int(L.requestDeadlineMs, 100, HOUR),
    UPSTREAM_INTERACTIVE_SHARE: env.number(L.interactiveShare, 0, 0.9),
    UPSTREAM_BUDGET_WAIT_MS: env.int(L.budgetWaitMs, 0, MINUTES_10),
    UPSTREAM_CLIENT_SHARE: env.number(L.clientShare, 0.01, 1),
    UPSTREAM_RETRIES: env.int(P.retries, 0, 10),
    UPSTREAM_RETRY_BASE_MS: env.int(P.retryBaseMs, 1, 60_000),
    UPSTREAM_RETRY_MAX_MS: env.int(P.retryMaxMs, 1, MINUTES_10),
    UPSTREAM_RETRY_AFTER_CAP_MS: env.int(P.retryAfterCapMs, 0, MINUTES_10),
    UPSTREAM_BREAKER_THRESHOLD: env.int(P.breakerThreshold, 1, 10_000),
    UPSTREAM_BREAKER_HALF_OPEN_MS: env.int(P.breakerHalfOpenMs, 1, HOUR),
    UPSTREAM_MAX_CONCURRENT: env.int(P.maxConcurrent, 1, 10_000),
    UPSTREAM_MAX_QUEUED: env.int(P.maxQueued, 0, 1_000_000),
  },
  (v, fail): UpstreamLimits => {
    const notAbove = (name: keyof typeof v, limit: keyof typeof v) => {
      if (v[name] > v[limit]) fail(`${name} (${v[name]}) must not exceed ${limit} (${v[limit]})`);
    };
    notAbove('UPSTREAM_RETRY_BASE_MS', 'UPSTREAM_RETRY_MAX_MS');
    notAbove('UPSTREAM_CONNECT_TIMEOUT_MS', 'UPSTREAM_DEADLINE_MS');
    notAbove('UPSTREAM_HEADERS_TIMEOUT_MS', 'UPSTREAM_DEADLINE_MS');
    return {
      connections: v.UPSTREAM_CONNECTIONS,
      keepAliveMs: v.UPSTREAM_KEEP_ALIVE_MS,
      connectTimeoutMs: v.UPSTREAM_CONNECT_TIMEOUT_MS,
      headersTimeoutMs: v.UPSTREAM_HEADERS_TIMEOUT_MS,
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
    };
  },
);
