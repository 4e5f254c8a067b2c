import { createHash } from 'node:crypto';
import { authSettings, type AuthSettings } from './identity/auth.js';
import { corsSettings } from './http/cors.js';
import { queryLimitSettings, type QueryLimits } from './graphql/security.js';
import { rateLimitSettings, type RateLimitSettings } from './graphql/rate-limit.js';
import { liveSettings, type LiveSettings } from './live/settings.js';
import { TRACING_OFF, tracingSettings, type TracingSettings } from './observability/tracing.js';
import { serverSettings, type ServerSettings } from './http/server-settings.js';
import { upstreamSettings, type UpstreamLimits } from './upstream/limits.js';
import { listSettings, type ListSettings } from './graphql/connections/settings.js';
import { writeSettings, type WriteSettings } from './writes/settings.js';
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
export type { UpstreamLimits } from './upstream/limits.js';

/** The whole gateway configuration; a provider is present in `providers` only when configured. */
export interface GatewayConfig extends ServerSettings {
  /** Each configured provider's own settings (its definition's fragment). */
  providers: ProviderSettingsMap;
  upstream: UpstreamLimits;
  lists: ListSettings;
  live: LiveSettings;
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
  { title: 'Start-up checks' },
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
  liveSettings,
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
  const live = read(liveSettings);
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
