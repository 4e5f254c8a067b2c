import { createHash } from 'node:crypto';
import type { LogLevel } from './observability/logging.js';
import { authSettings, type AuthSettings } from './identity/auth.js';
import { corsSettings } from './http/cors.js';
import { queryLimitSettings, type QueryLimits } from './graphql/security.js';
import { rateLimitSettings, type RateLimitSettings } from './graphql/rate-limit.js';
import { liveSettings, type LiveSettings } from './live/settings.js';
import { redisSettings, type RedisSettings } from './redis/settings.js';
import { TRACING_OFF, tracingSettings, type TracingSettings } from './observability/tracing.js';
import { upstreamSettings, type UpstreamLimits } from './upstream/limits.js';
import { listSettings, type ListSettings } from './graphql/connections/settings.js';
import { writeAttemptWindowMs, writeSettings, type WriteSettings } from './writes/settings.js';
import { PROVIDER_DEFINITIONS, type AnyProviderDefinition, type ProviderSettingsMap } from './providers/index.js';
import {
  ConfigError,
  env,
  fragment,
  fragmentReader,
  unknownVariables,
  variablesOf,
  type Env,
  type SettingsFragment,
} from './config/settings.js';

export { ConfigError } from './config/settings.js';
export type { ListSettings } from './graphql/connections/settings.js';
export type { LiveSettings } from './live/settings.js';
export type { RedisSettings } from './redis/settings.js';
export { DEFAULT_UPSTREAM_LIMITS, type UpstreamLimits } from './upstream/limits.js';

/** The whole gateway configuration; a provider is present in `providers` only when configured. */
export interface GatewayConfig {
  port: number;
  /** How long a shutdown (SIGTERM, SIGINT) waits for in-flight queries before destroying their connections (ms). */
  shutdownTimeoutMs: number;
  /** Each configured provider's own settings (its definition's fragment). */
  providers: ProviderSettingsMap;
  upstream: UpstreamLimits;
  lists: ListSettings;
  live: LiveSettings;
  /** `REDIS_URL` and `REDIS_KEY_PREFIX`: without a URL, everything is in this process's memory. */
  redis: RedisSettings;
  logLevel: LogLevel;
  /**
   * Each log line written to stdout before the call returns (`LOG_SYNC`); by default lines are written
   * asynchronously, coalesced under load.
   */
  logSync: boolean;
  /** Proxy hops in front of the gateway whose `X-Forwarded-For` entries are trusted (0: none). */
  trustProxy: number;
  queries: QueryLimits;
  /** The inbound rate limit per client (`RATE_LIMIT_PER_MINUTE`; 0: off). */
  rateLimit: RateLimitSettings;
  /** Idempotency keys of writes (`IDEMPOTENCY_*`). */
  writes: WriteSettings;
  auth: AuthSettings;
  /** Origins granted cross-origin access (`CORS_ORIGINS`); `*` is any origin, without credentials. */
  corsOrigins: string[];
  /** OpenTelemetry tracing (`OTEL_*`); off without an OTLP endpoint. */
  tracing: TracingSettings;
  /**
   * Problems that do not stop start-up, each naming its variables (see `loadConfig`); logged at warn
   * once at start-up. Always empty with `CONFIG_STRICT=true`, which refuses them instead.
   */
  warnings: string[];
}

/**
 * `PORT`, `SHUTDOWN_TIMEOUT_MS`, `LOG_LEVEL`, `LOG_SYNC` and `TRUST_PROXY` (off by default; a hop count, `true`
 * meaning one hop).
 */
const serverSettings = fragment(
  {
    PORT: env.int(4000, 0, 65535),
    SHUTDOWN_TIMEOUT_MS: env.int(25_000, 0, 3_600_000),
    TRUST_PROXY: env.custom((raw, refuse) => {
      const word = raw?.toLowerCase();
      if (word === undefined || ['false', 'off', 'no'].includes(word)) return 0;
      if (['true', 'on', 'yes'].includes(word)) return 1;
      if (!/^\d+$/.test(word) || Number(word) > 20) return refuse(`must be an integer from 0 to 20, got "${word}"`);
      return Number(word);
    }),
    LOG_LEVEL: env.oneOf(['debug', 'info', 'warn', 'error', 'silent'] as const, 'info'),
    LOG_SYNC: env.bool(false),
  },
  (v) => ({
    port: v.PORT,
    shutdownTimeoutMs: v.SHUTDOWN_TIMEOUT_MS,
    logLevel: v.LOG_LEVEL as LogLevel,
    logSync: v.LOG_SYNC,
    trustProxy: v.TRUST_PROXY,
  }),
);

/** `CONFIG_STRICT`: every start-up warning (`GatewayConfig.warnings`) stops start-up instead, as an error. */
const configSettings = fragment({ CONFIG_STRICT: env.bool(false) }, (v) => ({ strict: v.CONFIG_STRICT }));

/** Every variable the gateway reads: the union of the composed fragments' variables. */
export function knownVariables(definitions: readonly AnyProviderDefinition[] = PROVIDER_DEFINITIONS): string[] {
  const fragments: SettingsFragment<unknown>[] = [
    configSettings,
    serverSettings,
    upstreamSettings,
    queryLimitSettings,
    rateLimitSettings,
    writeSettings,
    liveSettings,
    redisSettings,
    listSettings,
    authSettings,
    corsSettings,
    tracingSettings,
    ...definitions.map((d) => d.settings),
  ];
  return [...new Set(fragments.flatMap(variablesOf))];
}

/**
 * Reads the configuration from the environment by composing every module's settings fragment.
 * A provider without a base URL is disabled; a provider with some but not all of its required
 * variables stops start-up. Every problem of every fragment is collected and thrown at once as
 * one `ConfigError` (`messages`). Start-up warnings (the fragments' own, unknown variables that
 * look like ours, see `unknownVariables`, and the cross-fragment ones of `crossWarnings`) are
 * `warnings`, or, all of them, errors with `CONFIG_STRICT=true`: this function is the one place
 * that turns them into errors.
 */
export function loadConfig(
  source: Env = process.env,
  definitions: readonly AnyProviderDefinition[] = PROVIDER_DEFINITIONS,
): GatewayConfig {
  const reader = fragmentReader(source);
  const { read } = reader;
  const strict = read(configSettings)?.strict ?? false;
  const server = read(serverSettings);
  const upstream = read(upstreamSettings);
  const queries = read(queryLimitSettings);
  const rateLimit = read(rateLimitSettings);
  const writes = read(writeSettings);
  const live = read(liveSettings);
  const redis = read(redisSettings);
  const lists = read(listSettings);
  const providers: ProviderSettingsMap = {};
  for (const definition of definitions) {
    const settings = read(definition.settings);
    if (settings) providers[definition.name] = settings;
  }
  const auth = read(authSettings);
  const corsOrigins = read(corsSettings);
  // A refused OTEL_* variable is in `messages` (so start-up stops below); the fallback is never used.
  const tracing = read(tracingSettings) ?? TRACING_OFF;
  const warnings = [
    ...reader.warnings,
    ...unknownVariables(source, knownVariables(definitions)).map(
      ({ name, suggestion }) => `unknown variable ${name}${suggestion ? ` (did you mean ${suggestion}?)` : ''}`,
    ),
    ...(server && upstream ? crossWarnings(server, upstream) : []),
  ];
  // CONFIG_STRICT: every warning is an error, reported with the other errors.
  const messages = [
    ...reader.messages,
    ...(strict ? warnings.map((warning) => `${warning}: refused with CONFIG_STRICT=true`) : []),
  ];
  if (
    messages.length > 0 ||
    !server ||
    !upstream ||
    !queries ||
    !rateLimit ||
    !writes ||
    !live ||
    !redis ||
    !lists ||
    !auth ||
    !corsOrigins
  )
    throw new ConfigError(messages);
  return {
    ...server,
    providers,
    upstream,
    queries,
    rateLimit,
    writes: {
      ...writes,
      markerSecret: writes.markerSecret ?? derivedSecret('batchql-write-marker', source, definitions),
    },
    live,
    redis,
    lists: { ...lists, cursorSecret: lists.cursorSecret ?? derivedSecret('batchql-cursor', source, definitions) },
    auth,
    corsOrigins,
    tracing,
    warnings: strict ? [] : warnings,
  };
}

/**
 * Settings of different fragments that fit badly together but can run: a shutdown shorter than a query's
 * deadline (`REQUEST_DEADLINE_MS`) or than a write can take (`writeAttemptWindowMs`: UPSTREAM_BUDGET_WAIT_MS +
 * UPSTREAM_DEADLINE_MS + 1 s; the drain skips read-backs not begun, so a write must fit in it).
 */
function crossWarnings(server: { shutdownTimeoutMs: number }, upstream: UpstreamLimits): string[] {
  const warnings: string[] = [];
  const shutdownMs = server.shutdownTimeoutMs;
  const deadlineMs = upstream.requestDeadlineMs;
  if (shutdownMs < deadlineMs)
    warnings.push(
      `SHUTDOWN_TIMEOUT_MS (${shutdownMs} ms) is shorter than REQUEST_DEADLINE_MS (${deadlineMs} ms): ` +
        'a shutdown may destroy the connection of a query still within its deadline, which then gets no answer',
    );
  const writeMs = writeAttemptWindowMs(upstream);
  if (writeMs > shutdownMs)
    warnings.push(
      `SHUTDOWN_TIMEOUT_MS (${shutdownMs} ms) is shorter than a write can take (${writeMs} ms: ` +
        'UPSTREAM_BUDGET_WAIT_MS + UPSTREAM_DEADLINE_MS + 1 s): a shutdown may cut a write off, and its ' +
        'idempotency key then answers OUTCOME_UNKNOWN until a retry finds the batch ' +
        '(docs/writes.md, "Shutdown and dead replicas")',
    );
  return warnings;
}
/**
 * Without `CURSOR_SECRET` or `IDEMPOTENCY_MARKER_SECRET`, the key is derived from the provider credentials
 * (under its own `label`), which are secret and the same on every replica of one deployment, so cursors and
 * write markers survive restarts, load balancing and a Redis that lost its data, without extra configuration.
 */
function derivedSecret(label: string, source: Env, definitions: readonly AnyProviderDefinition[]): string {
  const parts = definitions.flatMap((d) => d.secrets).map((name) => source[name] ?? '');
  return createHash('sha256')
    .update(`${label}\0${parts.join('\0')}`)
    .digest('base64url');
}
