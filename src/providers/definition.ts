import { readFileSync } from 'node:fs';
import type { ProviderName } from '../domain/batch.js';
import type { BatchProvider } from '../domain/provider.js';
import type { ServedProvider } from '../graphql/served-provider.js';
import type { z } from 'zod';
import { env, fragment, MAX_TIMER_MS, type Rule, type SettingsFragment } from '../config/settings.js';
import { formatRateLimit, parseRateLimit, type RateWindow } from '../upstream/budget/rate-limit.js';
import type { UpstreamLimits } from '../upstream/limits.js';
import type { CircuitObserver, UpstreamDropObserver, UpstreamObserver } from '../upstream/types.js';
import type { SharedBudget } from '../upstream/budget/shared-budget.js';
import type { Tracing } from '../observability/tracing-types.js';
import type { ProviderWebhook } from '../webhooks/types.js';

/** What every provider's HTTP client shares: the upstream limits, the user agent and the metrics hook. */
export interface SharedClientOptions extends UpstreamLimits {
  userAgent: string;
  observe?: UpstreamObserver;
  /** Told each circuit breaker transition (the runtime logs them). */
  onCircuit?: CircuitObserver;
  /** Told each upstream call dropped unsent because its callers had left (the runtime counts them). */
  onDropped?: UpstreamDropObserver;
  /** The longest a 429's Retry-After pauses polling (`LIVE_POLL_ERROR_MAX_MS`). */
  pauseCapMs: number;
  /** The clock of the request budget (tests pass the simulators' clock). @default Date.now */
  now?: () => number;
  /** With `REDIS_URL`: every provider's budget is shared by all replicas (`shared-budget.ts`). */
  sharedBudget?: SharedBudget;
  /** With tracing on, every upstream attempt is a client span and sends `traceparent`. */
  tracing?: Tracing;
}

/** A provider's own settings: at least where it is; absent when the provider is not configured. */
export interface ProviderSettings {
  baseUrl: string;
  /** Its own undici pool size (`<NAME>_UPSTREAM_CONNECTIONS`), overriding `UPSTREAM_CONNECTIONS`; absent when unset. */
  connections?: number;
  /** Its request budget (`<NAME>_RATE_LIMIT`): the documented quota windows; empty for none. */
  rateLimit: RateWindow[];
}

/** What a `<NAME>_RATE_LIMIT` variable accepts, as the configuration reference says it. */
const RATE_LIMIT_VALUES =
  '`none`, or windows such as `200/60s` or `30/1s,360/30s` (units `ms`, `s`, `m`, `h`), each at most ' +
  `${MAX_TIMER_MS} ms (\`${Math.floor(MAX_TIMER_MS / 3_600_000)}h\`, Node's longest timer; ` +
  'a longer one stops start-up)';

/** The reader of a `<NAME>_RATE_LIMIT` variable. */
type RateLimitReader<T> = z.ZodType<T, string | undefined>;

/**
 * A `<NAME>_RATE_LIMIT` variable: `none` or windows such as `30/1s,360/30s`; `fallback` when unset (undefined
 * without one: the provider derives it, and says so with `.meta({ fallback })`).
 */
export function rateLimitVariable(fallback: readonly RateWindow[]): RateLimitReader<RateWindow[]>;
export function rateLimitVariable(): RateLimitReader<RateWindow[] | undefined>;
export function rateLimitVariable(fallback?: readonly RateWindow[]): RateLimitReader<RateWindow[] | undefined> {
  return env
    .custom((raw, refuse): RateWindow[] | undefined => {
      if (raw === undefined) return fallback ? [...fallback] : undefined;
      const parsed = parseRateLimit(raw);
      return typeof parsed === 'string' ? refuse(parsed) : parsed;
    })
    .meta({ allowed: RATE_LIMIT_VALUES, ...(fallback ? { fallback: `\`${formatRateLimit(fallback)}\`` } : {}) });
}

/** The shortest signing secret accepted (`ExtraSettings.signingSecrets`), in bytes (UTF-8). */
const SIGNING_SECRET_MIN_BYTES = 16;
/** Signing secrets shorter than this start with a configuration warning. */
const SIGNING_SECRET_RECOMMENDED_BYTES = 32;

/** Provider settings beyond URL and credentials: more variables and how they build settings. */
export interface ExtraSettings<S extends z.ZodRawShape, E> {
  shape: S;
  build(values: z.output<z.ZodObject<S>>): E;
  /**
   * Variables (of `required` or `optional`) holding a secret the operator makes up and shares with the
   * provider, such as a webhook's HMAC key (not a credential the provider issues): one shorter than
   * `SIGNING_SECRET_MIN_BYTES` is refused, one shorter than `SIGNING_SECRET_RECOMMENDED_BYTES` warned about.
   */
  signingSecrets?: readonly string[];
}

/** Refuses (`fail`) or warns about (`warn`) a signing secret that is too short; never says its value. */
function checkSigningSecret(
  name: string,
  value: string,
  fail: (message: string) => void,
  warn: (message: string) => void,
): void {
  const bytes = Buffer.byteLength(value, 'utf8');
  const advice = `use a random one of ${SIGNING_SECRET_RECOMMENDED_BYTES} bytes or more (\`openssl rand -hex 32\`)`;
  if (bytes < SIGNING_SECRET_MIN_BYTES)
    fail(`${name} must be at least ${SIGNING_SECRET_MIN_BYTES} bytes, got ${bytes}: ${advice}`);
  else if (bytes < SIGNING_SECRET_RECOMMENDED_BYTES)
    warn(`${name} is only ${bytes} bytes, shorter than the ${SIGNING_SECRET_RECOMMENDED_BYTES} recommended: ${advice}`);
}

/**
 * Everything the gateway knows about one provider, in one object in the provider's folder (its `index.ts`);
 * the list in `providers/index.ts` is the only registration. Its GraphQL part (SDL, resolvers, costs) is
 * `ServedProvider`, which the GraphQL layer reads; the rest is read by the configuration and the runtime.
 * Later capabilities are further fields here, never an `if` elsewhere.
 */
export interface ProviderDefinition<
  S extends ProviderSettings = ProviderSettings,
  N extends ProviderName = ProviderName,
> extends ServedProvider {
  /** Its word of the `ProviderName` union (`providers/names.ts`), which keys it in the list. */
  name: N;
  /** Its environment variables; undefined settings mean "not configured". */
  settings: SettingsFragment<S | undefined>;
  /** Headers it sends that carry a credential or a tenant, beyond the usual auth headers: never logged. */
  sensitiveHeaders?: readonly string[];
  /** Variables whose values are secret credentials (they seed the derived cursor key). */
  secrets: readonly string[];
  /** Builds the adapter on its own undici pool. */
  createAdapter(settings: S, shared: SharedClientOptions): BatchProvider;
  /**
   * Its webhook (route, secret, signed-event parser); absent: none. The generic receiver in `webhooks/`
   * serves it when the provider is configured and `webhook.secret(settings)` is set.
   */
  webhook?: ProviderWebhook<S>;
}

/** The SDL file beside a provider's definition (`new URL('./schema.graphql', import.meta.url)`), read once. */
export function readSdl(url: URL): string {
  return readFileSync(url, 'utf8');
}

/** One variable of a provider: its name and what it means (the configuration reference). */
export interface ProviderVariable {
  name: string;
  meaning: string;
  /** What being unset means, when more than "—" (an optional variable that turns something off). */
  unset?: string;
}

type Vars = Readonly<Record<string, ProviderVariable>>;

/**
 * The settings fragment of an HTTP provider: `url` switches it on; with it set, every `required` variable
 * must be too, and without it none of its variables may be. Values are keyed by the names the caller gives
 * them (`{ token: { name: 'ACME_TOKEN', meaning } }` yields `token`). Every variable says what it means
 * (docs/configuration.md is generated from them). Every HTTP provider also reads `<PREFIX>_UPSTREAM_CONNECTIONS`
 * (the prefix of the URL's variable, as `ACME_` of `ACME_BASE_URL`): its own pool size, which overrides
 * `UPSTREAM_CONNECTIONS`.
 */
export function httpProviderSettings<
  R extends Vars,
  O extends Vars = Record<never, ProviderVariable>,
  S extends z.ZodRawShape = Record<never, never>,
  E extends { rateLimit: RateWindow[] } = { rateLimit: RateWindow[] },
>(
  url: ProviderVariable,
  required: R,
  optional?: O,
  extra?: ExtraSettings<S, E>,
): SettingsFragment<
  ({ baseUrl: string; connections?: number } & { [K in keyof R]: string } & { [K in keyof O]?: string } & E) | undefined
> {
  const urlVar = url.name;
  const withUrl = urlVar.replace(/_BASE_URL$/, '');
  const requiredVars = Object.entries(required).map(([key, v]) => [key, v.name] as const);
  const optionalVars = Object.entries(optional ?? {}).map(([key, v]) => [key, v.name] as const);
  const connectionsVar = `${withUrl}_UPSTREAM_CONNECTIONS`;
  const shape = {
    [urlVar]: env.text().describe(url.meaning),
    ...Object.fromEntries(
      Object.values(required).map(
        (v) =>
          [
            v.name,
            env
              .text()
              .meta({ fallback: `— (required with \`${urlVar}\`)` })
              .describe(v.meaning),
          ] as const,
      ),
    ),
    ...Object.fromEntries(
      Object.values(optional ?? {}).map((v) => [
        v.name,
        env
          .text()
          .meta(v.unset ? { fallback: v.unset } : {})
          .describe(v.meaning),
      ]),
    ),
    [connectionsVar]: env
      .intOrUnset(1, 1000)
      .meta({ fallback: '`UPSTREAM_CONNECTIONS`' })
      .describe(
        "that provider's own pool size, overriding `UPSTREAM_CONNECTIONS`: a high-volume provider gets more " +
          "sockets without raising the others'",
      ),
    ...(extra?.shape ?? {}),
  };
  type Settings = { baseUrl: string; connections?: number } & { [K in keyof R]: string } & {
    [K in keyof O]?: string;
  } & E;
  const names = (vars: readonly (readonly [string, string])[]) => vars.map(([, name]) => `\`${name}\``).join(', ');
  type Values = Record<string, string | undefined>;
  const rules: Rule<Values>[] = [
    {
      says:
        `Without \`${urlVar}\` the provider is off, and none of ` +
        `${names([...requiredVars, ...optionalVars])} may be set.`,
      check: (values, fail) => {
        const present = [...requiredVars, ...optionalVars].map(([, n]) => n).filter((n) => values[n] !== undefined);
        if (values[urlVar] === undefined && present.length > 0)
          fail(`${present[0]} is set but ${urlVar} is missing: set ${urlVar} or unset ${present.join(', ')}`);
      },
    },
    {
      says:
        `\`${urlVar}\` must be an http(s) URL` +
        (requiredVars.length > 0 ? `, and with it ${names(requiredVars)} must be set.` : '.'),
      check: (values, fail) => {
        const baseUrl = values[urlVar];
        if (baseUrl === undefined) return;
        // Every problem in one run: the URL's, and each missing variable (one message each).
        const url = URL.canParse(baseUrl) ? new URL(baseUrl) : undefined;
        if (!url) fail(`${urlVar} is not a valid URL`);
        else if (url.protocol !== 'http:' && url.protocol !== 'https:') fail(`${urlVar} must be an http or https URL`);
        for (const [, name] of requiredVars)
          if (values[name] === undefined) fail(`${urlVar} is set but ${name} is missing`);
      },
    },
    ...(extra?.signingSecrets ?? []).map((name): Rule<Values> => ({
      says:
        `\`${name}\` (a signing secret the operator makes up) must be at least ${SIGNING_SECRET_MIN_BYTES} bytes; ` +
        `under ${SIGNING_SECRET_RECOMMENDED_BYTES} it is a start-up warning.`,
      check: (values, fail, warn) => {
        const value = values[name];
        // Checked once the provider is on: with its URL (a valid one) and every required variable.
        const on = URL.canParse(values[urlVar] ?? '') && requiredVars.every(([, n]) => values[n] !== undefined);
        if (on && value !== undefined) checkSigningSecret(name, value, fail, warn);
      },
    })),
  ];
  return fragment(
    shape,
    (v): Settings | undefined => {
      const values = v as Values;
      const baseUrl = values[urlVar];
      if (baseUrl === undefined) return undefined;
      const settings: Record<string, unknown> = {
        baseUrl,
        rateLimit: [],
        ...(extra ? extra.build(v as z.output<z.ZodObject<S>>) : {}),
      };
      // Only when set: the adapter spreads these settings over the shared limits, so an absent key keeps
      // `UPSTREAM_CONNECTIONS`.
      const connections = (v as Record<string, unknown>)[connectionsVar];
      if (typeof connections === 'number') settings.connections = connections;
      for (const [key, name] of [...requiredVars, ...optionalVars]) {
        const value = values[name];
        if (value !== undefined) settings[key] = value;
      }
      return settings as Settings;
    },
    { rules: rules as Rule<unknown>[] },
  );
}
