import { createHash } from 'node:crypto';
import { authSettings, type AuthSettings } from './identity/auth.js';
import { corsSettings } from './http/cors.js';
import { queryLimitSettings, type QueryLimits } from './graphql/security.js';
import { rateLimitSettings, type RateLimitSettings } from './graphql/rate-limit.js';
import { healthSettings, liveSettings, type HealthSettings, type LiveSettings } from './live/settings.js';
import { redisSettings, type RedisSettings } from './redis/settings.js';
import { TRACING_OFF, tracingSettings, type TracingSettings } from './observability/tracing.js';
import { serverSettings, type ServerSettings } from './http/server-settings.js';
import { upstreamSettings, type UpstreamLimits } from './upstream/limits.js';
import { listSettings, type ListSettings } from './graphql/connections/settings.js';
import { writeSettings, type WriteSettings } from './writes/settings.js';
import { ledgerSettings, type LedgerSettings } from './ledger/settings.js';
import { notificationSettings, type NotificationSettings } from './notifications/settings.js';
import { consoleSettings, type ConsoleSettings } from './graphql/console-settings.js';
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

/** The whole gateway configuration; a provider is present in `providers` only when configured. */
export interface GatewayConfig extends ServerSettings {
  /** Each configured provider's own settings (its definition's fragment). */
  providers: ProviderSettingsMap;
  upstream: UpstreamLimits;
  lists: ListSettings;
  live: LiveSettings;
  /** Batch health and the background watch (`HEALTH_*`, `WATCH_BACKGROUND_*`). */
  health: HealthSettings;
  /** `REDIS_URL` and `REDIS_KEY_PREFIX`: without a URL, everything is in this process's memory. */
  redis: RedisSettings;
  queries: QueryLimits;
  /** The inbound rate limit per client (`RATE_LIMIT_PER_MINUTE`; 0: off). */
  rateLimit: RateLimitSettings;
  /** Idempotency keys of writes (`IDEMPOTENCY_*`). */
  writes: WriteSettings;
  /** The ledger (`LEDGER`, `DATA_DIR`, …). */
  ledger: LedgerSettings;
  /** Outbound webhooks (`NOTIFICATIONS`, `WEBHOOK_*`). */
  notifications: NotificationSettings;
  /** The operator console's settings (`CONSOLE_*`), served through `Query.consoleSettings`. */
  console: ConsoleSettings;
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

/** `CONFIG_STRICT`: every start-up warning (`GatewayConfig.warnings`) stops start-up instead, as an error. */
const configSettings = fragment(
  {
    CONFIG_STRICT: env
      .bool(false)
      .describe(
        '`true` turns every start-up warning into an error that stops start-up, reported with the other errors: ' +
          "unknown variables that look like the gateway's, and every rule of this page that warns",
      ),
  },
  (v) => ({ strict: v.CONFIG_STRICT }),
  {
    title: 'Start-up checks',
    says: 'How start-up reads the configuration as a whole.',
    notes: [
      '**Errors all at once.** Start-up reads every settings fragment and reports every problem together, one ' +
        '`batchql: configuration error: …` line each (each names its variable), rather than stopping at the first. ' +
        'Within a section too: every rule is checked, and a refused variable does not hide the rules of its ' +
        'section (`AUTH_MODE=jwt` alone names `JWT_SECRET`, `JWT_ISSUER` and `JWT_AUDIENCE` at once).',
      '**Unknown variables.** A variable the gateway does not read, but whose first `_`-separated segment is the ' +
        'first segment of at least two variables it does (`UPSTREAM_`, `LIVE_`, `MAX_`, `REDIS_`, `JWT_`, `REACH_`, ' +
        '`GAMEBALL_`, `FACTCHECK_`…, derived from the settings fragments, not listed by hand), is probably a typo: ' +
        'it is logged at `warn` once at start-up, with the closest known name when one is close ' +
        '(`unknown variable UPSTREAM_TIMEOUT_MS (did you mean UPSTREAM_BODY_TIMEOUT_MS?)`). A prefix only one ' +
        'variable has (`LOG_`, `AUTH_`, `CORS_`…) is too generic to claim, and names with a `TEST` segment ' +
        "(`REDIS_TEST_URL`) belong to test tooling, so other programs' variables stay silent. The `OTEL_` family is " +
        'never claimed: platforms set `OTEL_*` for every container, and the OpenTelemetry exporter reads some ' +
        'itself. Only names are reported, never values.',
      '**Start-up warnings.** Settings that can run but probably should not (unknown variables, and the rules ' +
        'above that warn) are logged at `warn` once at start-up (`configuration: …`), each naming its variables. ' +
        'With `CONFIG_STRICT=true` every one of them stops start-up instead. A setting that would be used as a ' +
        'timer longer than Node allows (2^31−1 ms, about 24.8 days; only a rate-limit window can be that long) is ' +
        'refused outright.',
      '**Start-up failures name their variable.** A Redis that cannot be reached says `REDIS_URL` and its address ' +
        '(without user or password); a missing, unreadable or malformed `PERSISTED_OPERATIONS_FILE` says the ' +
        'variable and the path.',
      '**No provider.** A gateway without any configured provider starts (and warns), but `/ready` answers 503 ' +
        'with `{"ready": false, "reason": "no provider is configured: …", "providers": {}}`: it could answer no ' +
        'batch query.',
    ].join('\n\n'),
  },
);

/**
 * Every settings fragment of the gateway but the providers' (each definition brings its own), in the order of
 * the configuration reference (docs/configuration.md, `npm run config:print`).
 */
export const SETTINGS_FRAGMENTS: readonly SettingsFragment<unknown>[] = [
  serverSettings,
  upstreamSettings,
  queryLimitSettings,
  rateLimitSettings,
  authSettings,
  corsSettings,
  writeSettings,
  ledgerSettings,
  notificationSettings,
  consoleSettings,
  liveSettings,
  healthSettings,
  redisSettings,
  listSettings,
  tracingSettings,
  configSettings,
];

/** Every variable the gateway reads: the union of the composed fragments' variables. */
export function knownVariables(definitions: readonly AnyProviderDefinition[] = PROVIDER_DEFINITIONS): string[] {
  return [...new Set([...SETTINGS_FRAGMENTS, ...definitions.map((d) => d.settings)].flatMap(variablesOf))];
}

/**
 * Reads the configuration from the environment by composing every module's settings fragment.
 * A provider without a base URL is disabled; a provider with some but not all of its required
 * variables stops start-up. Every problem of every fragment is collected and thrown at once as
 * one `ConfigError` (`messages`). Start-up warnings (the fragments' own, unknown variables that
 * look like ours, see `unknownVariables`, and those of rules between fragments, see `serverSettings`) are
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
  const ledger = read(ledgerSettings);
  const notifications = read(notificationSettings);
  const consoleValues = read(consoleSettings);
  const live = read(liveSettings);
  const health = read(healthSettings);
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
  // Several replicas (Redis) with the embedded ledger: each keeps its own (docs/ledger.md, "Replicas").
  const replicaLedger =
    redis?.url && ledger?.enabled && !ledger.databaseUrl
      ? [
          'REDIS_URL is set without DATABASE_URL: each replica keeps its own ledger, so a batch submitted ' +
            'through one replica is listed by that replica only, and each replica has its own audit log',
        ]
      : [];
  const warnings = [
    ...reader.warnings,
    ...replicaLedger,
    ...unknownVariables(source, knownVariables(definitions)).map(
      ({ name, suggestion }) => `unknown variable ${name}${suggestion ? ` (did you mean ${suggestion}?)` : ''}`,
    ),
  ];
  // Notifications on several replicas need one outbox all of them claim from (docs/notifications.md, "Replicas").
  const notifyReplicas =
    notifications?.mode === 'on' && redis?.url && !ledger?.databaseUrl
      ? [
          'NOTIFICATIONS=on with REDIS_URL needs DATABASE_URL: several replicas on their own embedded ledgers ' +
            'would each send their own events (set DATABASE_URL, or NOTIFICATIONS=auto to run them without webhooks)',
        ]
      : [];
  // CONFIG_STRICT: every warning is an error, reported with the other errors.
  const messages = [
    ...reader.messages,
    ...notifyReplicas,
    ...(strict ? warnings.map((warning) => `${warning}: refused with CONFIG_STRICT=true`) : []),
  ];
  if (
    messages.length > 0 ||
    !server ||
    !upstream ||
    !queries ||
    !rateLimit ||
    !writes ||
    !ledger ||
    !notifications ||
    !consoleValues ||
    !live ||
    !health ||
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
    ledger,
    notifications,
    console: consoleValues,
    live,
    health,
    redis,
    lists: { ...lists, cursorSecret: lists.cursorSecret ?? derivedSecret('batchql-cursor', source, definitions) },
    auth,
    corsOrigins,
    tracing,
    warnings: strict ? [] : warnings,
  };
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
