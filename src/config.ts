import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import type { LogLevel } from './logging.js';
import type { AuthSettings } from './auth.js';
import { DEFAULT_QUERY_LIMITS, type QueryLimits } from './graphql/security.js';
import { DEFAULT_UPSTREAM_POLICY, type UpstreamPolicy } from './providers/policy.js';
import { DEFAULT_POLL_POLICY, type PollPolicy } from './live/poll-policy.js';

/** Limits shared by every provider's HTTP client. */
export interface UpstreamLimits {
  connections: number;
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
  /** Retries, circuit breaker and bulkhead per provider. */
  policy: UpstreamPolicy;
}

/** The whole gateway configuration; a provider is present only when configured. */
export interface GatewayConfig {
  port: number;
  reach?: { baseUrl: string; token: string; tenantId?: string };
  gameball?: { baseUrl: string; apiKey: string; secretKey: string };
  factCheck?: { baseUrl: string; apiKey: string };
  upstream: UpstreamLimits;
  lists: ListSettings;
  live: LiveSettings;
  logLevel: LogLevel;
  /** Proxy hops in front of the gateway whose `X-Forwarded-For` entries are trusted (0: none). */
  trustProxy: number;
  queries: QueryLimits;
  auth: AuthSettings;
  /** How long a shutdown (SIGTERM, SIGINT) waits for in-flight queries before destroying their connections (ms). */
  shutdownTimeoutMs: number;
}

/** Settings of subscriptions and the poll hub (the polling intervals are the hub's `PollPolicy`). */
export interface LiveSettings extends Omit<PollPolicy, 'jitter'> {
  /** With a Redis URL, replicas share poll loops and events; without, everything is in memory. */
  redisUrl?: string;
  /** Prefix of every Redis key and channel, so deployments can share one Redis. */
  redisKeyPrefix: string;
  /** This process's name in leases and logs. */
  instanceId: string;
  leaseMs: number;
  maxSubscriptions: number;
  maxSubscriptionsPerConnection: number;
  /** Watched batches one client (see `identity.ts`) may hold on this process. */
  maxSubscriptionsPerClient: number;
}

/** Settings of list connections. */
export interface ListSettings {
  /** HMAC key of connection cursors; replicas behind one load balancer need the same one. */
  cursorSecret: string;
  /** How long an upstream list page is reused while a client pages on (ms). */
  pageCacheTtlMs: number;
  /** How many upstream list pages are kept at most. */
  pageCacheMaxPages: number;
}

/** Thrown when the environment is inconsistent; the message names the variable. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

/** Default upstream limits (see the README's configuration table). */
export const DEFAULT_UPSTREAM_LIMITS: Omit<UpstreamLimits, 'policy'> = {
  connections: 10,
  connectTimeoutMs: 5_000,
  headersTimeoutMs: 10_000,
  bodyTimeoutMs: 10_000,
  deadlineMs: 15_000,
  maxResponseBytes: 5 * 1024 * 1024,
  perRequestConcurrency: 8,
  maxCallsPerRequest: 200,
  requestDeadlineMs: 20_000,
};

/**
 * Reads the configuration from the environment. A provider without a base URL is disabled;
 * a provider with some but not all of its required variables stops start-up with a
 * `ConfigError` naming the missing variable.
 */
export function loadConfig(env: Env = process.env): GatewayConfig {
  const config: GatewayConfig = {
    port: int(env, 'PORT', 4000, 0, 65535),
    shutdownTimeoutMs: int(env, 'SHUTDOWN_TIMEOUT_MS', 25_000, 0, 3_600_000),
    upstream: {
      connections: int(env, 'UPSTREAM_CONNECTIONS', DEFAULT_UPSTREAM_LIMITS.connections, 1, 1000),
      connectTimeoutMs: int(env, 'UPSTREAM_CONNECT_TIMEOUT_MS', DEFAULT_UPSTREAM_LIMITS.connectTimeoutMs, 1, 600_000),
      headersTimeoutMs: int(env, 'UPSTREAM_HEADERS_TIMEOUT_MS', DEFAULT_UPSTREAM_LIMITS.headersTimeoutMs, 1, 600_000),
      bodyTimeoutMs: int(env, 'UPSTREAM_BODY_TIMEOUT_MS', DEFAULT_UPSTREAM_LIMITS.bodyTimeoutMs, 1, 600_000),
      deadlineMs: int(env, 'UPSTREAM_DEADLINE_MS', DEFAULT_UPSTREAM_LIMITS.deadlineMs, 1, 600_000),
      maxResponseBytes: int(
        env,
        'UPSTREAM_MAX_RESPONSE_BYTES',
        DEFAULT_UPSTREAM_LIMITS.maxResponseBytes,
        1024,
        1024 ** 3,
      ),
      perRequestConcurrency: int(
        env,
        'UPSTREAM_PER_REQUEST_CONCURRENCY',
        DEFAULT_UPSTREAM_LIMITS.perRequestConcurrency,
        1,
        100,
      ),
      maxCallsPerRequest: int(
        env,
        'MAX_UPSTREAM_CALLS_PER_REQUEST',
        DEFAULT_UPSTREAM_LIMITS.maxCallsPerRequest,
        1,
        1_000_000,
      ),
      requestDeadlineMs: int(env, 'REQUEST_DEADLINE_MS', DEFAULT_UPSTREAM_LIMITS.requestDeadlineMs, 100, 3_600_000),
      policy: {
        retries: int(env, 'UPSTREAM_RETRIES', DEFAULT_UPSTREAM_POLICY.retries, 0, 10),
        retryBaseMs: int(env, 'UPSTREAM_RETRY_BASE_MS', DEFAULT_UPSTREAM_POLICY.retryBaseMs, 1, 60_000),
        retryMaxMs: int(env, 'UPSTREAM_RETRY_MAX_MS', DEFAULT_UPSTREAM_POLICY.retryMaxMs, 1, 600_000),
        retryAfterCapMs: int(env, 'UPSTREAM_RETRY_AFTER_CAP_MS', DEFAULT_UPSTREAM_POLICY.retryAfterCapMs, 0, 600_000),
        breakerThreshold: int(env, 'UPSTREAM_BREAKER_THRESHOLD', DEFAULT_UPSTREAM_POLICY.breakerThreshold, 1, 10_000),
        breakerHalfOpenMs: int(
          env,
          'UPSTREAM_BREAKER_HALF_OPEN_MS',
          DEFAULT_UPSTREAM_POLICY.breakerHalfOpenMs,
          1,
          3_600_000,
        ),
        maxConcurrent: int(env, 'UPSTREAM_MAX_CONCURRENT', DEFAULT_UPSTREAM_POLICY.maxConcurrent, 1, 10_000),
        maxQueued: int(env, 'UPSTREAM_MAX_QUEUED', DEFAULT_UPSTREAM_POLICY.maxQueued, 0, 1_000_000),
      },
    },
    lists: { cursorSecret: '', pageCacheTtlMs: 0, pageCacheMaxPages: 1 },
    auth: { mode: 'none', tenantClaim: '' },
    trustProxy: trustProxy(env),
    logLevel: oneOf(env, 'LOG_LEVEL', ['debug', 'info', 'warn', 'error', 'silent'] as const, 'info'),
    queries: {
      maxDepth: int(env, 'MAX_QUERY_DEPTH', DEFAULT_QUERY_LIMITS.maxDepth, 1, 1_000),
      maxCost: int(env, 'MAX_QUERY_COST', DEFAULT_QUERY_LIMITS.maxCost, 1, 10_000_000),
      maxAliases: int(env, 'MAX_QUERY_ALIASES', DEFAULT_QUERY_LIMITS.maxAliases, 0, 10_000),
      maxDirectives: int(env, 'MAX_QUERY_DIRECTIVES', DEFAULT_QUERY_LIMITS.maxDirectives, 0, 10_000),
      maxTokens: int(env, 'MAX_QUERY_TOKENS', DEFAULT_QUERY_LIMITS.maxTokens, 1, 10_000_000),
      maxBodyBytes: int(env, 'MAX_BODY_BYTES', DEFAULT_QUERY_LIMITS.maxBodyBytes, 100, 100_000_000),
      introspection: bool(env, 'INTROSPECTION', DEFAULT_QUERY_LIMITS.introspection),
      csrf: bool(env, 'CSRF_PREVENTION', DEFAULT_QUERY_LIMITS.csrf),
      ...(nonEmpty(env.PERSISTED_OPERATIONS_FILE)
        ? { persistedOperationsFile: nonEmpty(env.PERSISTED_OPERATIONS_FILE)! }
        : {}),
    },
    live: {
      instanceId: nonEmpty(env.INSTANCE_ID) ?? `${hostname()}-${process.pid}`,
      redisKeyPrefix: nonEmpty(env.REDIS_KEY_PREFIX) ?? 'batchql:',
      runningMs: int(env, 'LIVE_POLL_RUNNING_MS', DEFAULT_POLL_POLICY.runningMs, 10, 3_600_000),
      idleMs: int(env, 'LIVE_POLL_IDLE_MS', DEFAULT_POLL_POLICY.idleMs, 10, 3_600_000),
      idleMaxMs: int(env, 'LIVE_POLL_IDLE_MAX_MS', DEFAULT_POLL_POLICY.idleMaxMs, 10, 3_600_000),
      pendingMs: int(env, 'LIVE_POLL_PENDING_MS', DEFAULT_POLL_POLICY.pendingMs, 10, 3_600_000),
      errorMs: int(env, 'LIVE_POLL_ERROR_MS', DEFAULT_POLL_POLICY.errorMs, 10, 3_600_000),
      errorMaxMs: int(env, 'LIVE_POLL_ERROR_MAX_MS', DEFAULT_POLL_POLICY.errorMaxMs, 10, 3_600_000),
      leaseMs: int(env, 'LIVE_LEASE_MS', 5_000, 100, 600_000),
      maxSubscriptions: int(env, 'LIVE_MAX_SUBSCRIPTIONS', 20_000, 1, 10_000_000),
      maxSubscriptionsPerConnection: int(env, 'LIVE_MAX_SUBSCRIPTIONS_PER_CONNECTION', 100, 1, 100_000),
      maxSubscriptionsPerClient: int(env, 'LIVE_MAX_SUBSCRIPTIONS_PER_CLIENT', 1_000, 1, 10_000_000),
    },
  };
  const redisUrl = nonEmpty(env.REDIS_URL);
  if (redisUrl) {
    if (!/^rediss?:\/\//.test(redisUrl)) throw new ConfigError('REDIS_URL must start with redis:// or rediss://');
    config.live.redisUrl = redisUrl;
  }
  config.lists = {
    cursorSecret: nonEmpty(env.CURSOR_SECRET) ?? derivedCursorSecret(env),
    pageCacheTtlMs: int(env, 'LIST_PAGE_CACHE_TTL_MS', 30_000, 0, 3_600_000),
    pageCacheMaxPages: int(env, 'LIST_PAGE_CACHE_MAX_PAGES', 2_000, 1, 1_000_000),
  };
  const reach = provider(env, 'REACH_BASE_URL', ['REACH_TOKEN'], ['REACH_TENANT_ID']);
  if (reach)
    config.reach = {
      baseUrl: reach.baseUrl,
      token: reach.REACH_TOKEN!,
      ...(reach.REACH_TENANT_ID ? { tenantId: reach.REACH_TENANT_ID } : {}),
    };
  const gameball = provider(env, 'GAMEBALL_BASE_URL', ['GAMEBALL_API_KEY', 'GAMEBALL_SECRET_KEY'], []);
  if (gameball)
    config.gameball = {
      baseUrl: gameball.baseUrl,
      apiKey: gameball.GAMEBALL_API_KEY!,
      secretKey: gameball.GAMEBALL_SECRET_KEY!,
    };
  const factCheck = provider(env, 'FACTCHECK_BASE_URL', ['FACTCHECK_API_KEY'], []);
  if (factCheck) config.factCheck = { baseUrl: factCheck.baseUrl, apiKey: factCheck.FACTCHECK_API_KEY! };
  config.auth = authSettings(env);
  return config;
}

/**
 * Without `CURSOR_SECRET`, the cursor key is derived from the provider credentials, which are
 * secret and the same on every replica of one deployment, so cursors survive restarts and
 * load balancing without extra configuration.
 */
function derivedCursorSecret(env: Env): string {
  const parts = ['REACH_TOKEN', 'GAMEBALL_API_KEY', 'GAMEBALL_SECRET_KEY', 'FACTCHECK_API_KEY'].map(
    (name) => env[name] ?? '',
  );
  return createHash('sha256')
    .update(`batchql-cursor\0${parts.join('\0')}`)
    .digest('base64url');
}

function provider(
  env: Env,
  urlVar: string,
  required: string[],
  optional: string[],
): (Record<string, string | undefined> & { baseUrl: string }) | null {
  const baseUrl = nonEmpty(env[urlVar]);
  const present = [...required, ...optional].filter((name) => nonEmpty(env[name]) !== undefined);
  if (baseUrl === undefined) {
    if (present.length > 0)
      throw new ConfigError(
        `${present[0]} is set but ${urlVar} is missing: set ${urlVar} or unset ${present.join(', ')}`,
      );
    return null;
  }
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new ConfigError(`${urlVar} is not a valid URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new ConfigError(`${urlVar} must be an http or https URL`);
  const missing = required.find((name) => nonEmpty(env[name]) === undefined);
  if (missing) throw new ConfigError(`${urlVar} is set but ${missing} is missing`);
  const values: Record<string, string | undefined> & { baseUrl: string } = { baseUrl };
  for (const name of [...required, ...optional]) values[name] = nonEmpty(env[name]);
  return values;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

/** `AUTH_MODE=jwt` (the default) needs a key (HS256 secret or JWKS URL), an issuer and an audience. */
function authSettings(env: Env): AuthSettings {
  const mode = oneOf(env, 'AUTH_MODE', ['jwt', 'none'] as const, 'jwt');
  const tenantClaim = nonEmpty(env.JWT_TENANT_CLAIM) ?? 'reach_tenant';
  if (mode === 'none') return { mode, tenantClaim };
  const secret = nonEmpty(env.JWT_SECRET);
  const jwksUrl = nonEmpty(env.JWT_JWKS_URL);
  if (!secret && !jwksUrl)
    throw new ConfigError(
      'AUTH_MODE=jwt needs JWT_SECRET (HS256) or JWT_JWKS_URL; set AUTH_MODE=none only for a local demo',
    );
  if (secret && jwksUrl) throw new ConfigError('set JWT_SECRET or JWT_JWKS_URL, not both');
  if (secret && secret.length < 32) throw new ConfigError('JWT_SECRET must be at least 32 characters');
  if (jwksUrl && !/^https?:\/\//.test(jwksUrl)) throw new ConfigError('JWT_JWKS_URL must be an http(s) URL');
  const issuer = nonEmpty(env.JWT_ISSUER);
  const audience = nonEmpty(env.JWT_AUDIENCE);
  if (!issuer) throw new ConfigError('AUTH_MODE=jwt needs JWT_ISSUER');
  if (!audience) throw new ConfigError('AUTH_MODE=jwt needs JWT_AUDIENCE');
  return { mode, tenantClaim, issuer, audience, ...(secret ? { secret } : {}), ...(jwksUrl ? { jwksUrl } : {}) };
}

/** `TRUST_PROXY`: off by default; a hop count (`true` means one hop, `false` none). */
function trustProxy(env: Env): number {
  const raw = nonEmpty(env.TRUST_PROXY)?.toLowerCase();
  if (raw === undefined || ['false', 'off', 'no'].includes(raw)) return 0;
  if (['true', 'on', 'yes'].includes(raw)) return 1;
  return int(env, 'TRUST_PROXY', 0, 0, 20);
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = nonEmpty(env[name])?.toLowerCase();
  if (raw === undefined) return fallback;
  if (['true', '1', 'yes', 'on'].includes(raw)) return true;
  if (['false', '0', 'no', 'off'].includes(raw)) return false;
  throw new ConfigError(`${name} must be true or false, got "${raw}"`);
}

function oneOf<T extends string>(env: Env, name: string, values: readonly T[], fallback: T): T {
  const raw = nonEmpty(env[name]);
  if (raw === undefined) return fallback;
  if (!(values as readonly string[]).includes(raw))
    throw new ConfigError(`${name} must be one of ${values.join(', ')}, got "${raw}"`);
  return raw as T;
}

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = nonEmpty(env[name]);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max)
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  return Number(raw);
}
