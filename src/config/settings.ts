import { z } from 'zod';

/**
 * Settings as zod schemas. Every module that owns settings declares a fragment next to its
 * defaults: a `z.object` keyed by environment variable names, transformed into the typed
 * settings. `config.ts` composes the fragments; the variable names of the whole gateway are the
 * keys of the fragments' objects (`variablesOf`).
 */

/**
 * Thrown when the environment is inconsistent: `messages` holds every problem found (each names
 * its variable), and the message joins them one per line.
 */
export class ConfigError extends Error {
  override name = 'ConfigError';
  readonly messages: string[];
  constructor(messages: string | readonly string[]) {
    const list = typeof messages === 'string' ? [messages] : [...messages];
    super(list.join('\n'));
    this.messages = list;
  }
}

/** The longest delay Node's timers take: a setting used as one may not exceed it (`long-timeout.ts`). */
export { MAX_TIMER_MS } from './long-timeout.js';

/** The environment as read: variable name to raw value. */
export type Env = Record<string, string | undefined>;

/**
 * What the configuration reference (docs/configuration.md, `npm run config:print`) says of a variable or a
 * fragment, beside zod's own `description` (a variable's meaning, `.describe('…')`) and `title` (a fragment's
 * section). The readers of `env` fill in `fallback` and `allowed` from their arguments; a variable whose
 * default or values no argument says (a derived default, a custom reader) says them with `.meta({ … })`.
 */
declare module 'zod' {
  interface GlobalMeta {
    /** A variable's default as the reference shows it (Markdown); absent: none. */
    fallback?: string;
    /** The values a variable accepts (Markdown): a range, a list, a form. */
    allowed?: string;
    /** A fragment's rules between its variables (`Rule.says`), in the order they are checked. */
    rules?: readonly string[];
    /** The variables of other fragments a fragment's rules read (`FragmentOptions.uses`). */
    borrowed?: readonly string[];
    /** What a fragment's section says after its table and rules (Markdown). */
    notes?: string;
  }
}

/** A fragment: an object of environment variables (`S`, their readers), transformed into typed settings. */
export type SettingsFragment<T, S extends z.ZodRawShape = z.ZodRawShape> = z.ZodPipe<
  z.ZodObject<S>,
  z.ZodTransform<T, Record<string, unknown>>
>;

/** An environment variable, trimmed; blank counts as unset. */
const raw = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

/** Refuses the value with `message`, which is prefixed with the variable's name. */
function refuse(ctx: z.RefinementCtx, message: string): never {
  ctx.addIssue({ code: 'custom', message });
  return z.NEVER as never;
}

/** A default or a value as the reference shows it. */
const code = (value: string | number | boolean) => `\`${value}\``;

/** Readers of one variable, each with its default and its values in its metadata (the reference's columns). */
export const env = {
  /**
   * A string: `fallback` when unset (undefined without one). `check` may refuse a set value: it returns the
   * problem (the message says the variable's name before it), or undefined.
   */
  text: <F extends string | undefined = undefined>(fallback?: F, check?: (value: string) => string | undefined) =>
    raw
      .transform((v, ctx): F extends string ? string : string | undefined => {
        if (v === undefined) return fallback as F extends string ? string : string | undefined;
        const problem = check?.(v);
        return problem === undefined ? v : refuse(ctx, problem);
      })
      .meta(fallback === undefined ? {} : { fallback: code(fallback) }),
  /** A decimal integer in `[min, max]`, or `fallback` when unset. */
  int: (fallback: number, min: number, max: number) =>
    raw
      .transform((v, ctx): number => {
        if (v === undefined) return fallback;
        if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max)
          return refuse(ctx, `must be an integer from ${min} to ${max}, got "${v}"`);
        return Number(v);
      })
      .meta({ fallback: code(fallback), allowed: `${min}–${max}` }),
  /** A decimal integer in `[min, max]`, or undefined when unset (a per-provider override of a shared setting). */
  intOrUnset: (min: number, max: number) =>
    raw
      .transform((v, ctx): number | undefined => {
        if (v === undefined) return undefined;
        if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max)
          return refuse(ctx, `must be an integer from ${min} to ${max}, got "${v}"`);
        return Number(v);
      })
      .meta({ allowed: `${min}–${max}` }),
  /** A decimal number in `[min, max]`, or `fallback` when unset. */
  number: (fallback: number, min: number, max: number) =>
    raw
      .transform((v, ctx): number => {
        if (v === undefined) return fallback;
        if (!/^\d+(\.\d+)?$/.test(v) || Number(v) < min || Number(v) > max)
          return refuse(ctx, `must be a number from ${min} to ${max}, got "${v}"`);
        return Number(v);
      })
      .meta({ fallback: code(fallback), allowed: `${min}–${max}` }),
  /** true/false (also 1/0, yes/no, on/off), or `fallback` when unset. */
  bool: (fallback: boolean) =>
    raw
      .transform((v, ctx): boolean => {
        const word = v?.toLowerCase();
        if (word === undefined) return fallback;
        if (['true', '1', 'yes', 'on'].includes(word)) return true;
        if (['false', '0', 'no', 'off'].includes(word)) return false;
        return refuse(ctx, `must be true or false, got "${word}"`);
      })
      .meta({ fallback: code(fallback), allowed: '`true` or `false` (also `1`/`0`, `yes`/`no`, `on`/`off`)' }),
  /**
   * Any reading: `read` gets the trimmed value (undefined when unset) and may refuse it. Its default and
   * values are the caller's to say (`.meta({ fallback, allowed })`).
   */
  custom: <T>(read: (value: string | undefined, refuse: (message: string) => never) => T) =>
    raw.transform((v, ctx): T => read(v, (message) => refuse(ctx, message))).meta({}),
  /** One of `values`, or `fallback` when unset. */
  oneOf: <T extends string>(values: readonly T[], fallback: T) =>
    raw
      .transform((v, ctx): T => {
        if (v === undefined) return fallback;
        if (!(values as readonly string[]).includes(v))
          return refuse(ctx, `must be one of ${values.join(', ')}, got "${v}"`);
        return v as T;
      })
      .meta({ fallback: code(fallback), allowed: values.map(code).join(', ') }),
};

/** The values of a fragment's variables, as its readers read them. */
type Values<S extends z.ZodRawShape> = z.output<z.ZodObject<S>>;

/**
 * A rule between variables, checked before the fragment builds its settings: what the configuration reference
 * says of it (`says`, Markdown, naming the variables), and its check, which refuses a combination with
 * `fail(message)` (start-up stops) or reports one that can run with `warn(message)` (a configuration warning:
 * `GatewayConfig.warnings`, an error with `CONFIG_STRICT=true`); both messages name their variables themselves.
 */
export interface Rule<V> {
  says: string;
  check(values: V, fail: (message: string) => void, warn: (message: string) => void): void;
}

/**
 * The rule that no variable of `low` may exceed `high` (an interval and its maximum, a timeout and the whole
 * deadline); each one that does is refused with a message naming both.
 */
export function notAbove<K extends string>(
  low: K | readonly K[],
  high: K,
  says?: string,
): Rule<Record<K, number | undefined>> {
  const lows = typeof low === 'string' ? [low] : low;
  const names = lows.map((name) => `\`${name}\``);
  return {
    says: says ?? `${names.join(' and ')} may not exceed \`${high}\`.`,
    check: (v, fail) => {
      // An unset variable (a reader without a default) has a derived value that fits: nothing to check.
      for (const name of lows) {
        const value = v[name];
        const limit = v[high];
        if (value !== undefined && limit !== undefined && value > limit)
          fail(`${name} (${value}) must not exceed ${high} (${limit})`);
      }
    },
  };
}

/**
 * Where `warn` puts its messages while `fragmentReader` parses a fragment (parsing is synchronous, so
 * one sink at a time); undefined otherwise, and warnings of a fragment parsed on its own are dropped.
 */
let warningSink: string[] | undefined;

/** What a fragment is besides its variables: its section of the reference, its rules, the variables it borrows. */
export interface FragmentOptions<V, U extends z.ZodRawShape> {
  /** Its section's title in the reference (a provider's is its `displayName`). */
  title?: string;
  /** What the section says before its table (Markdown), when more than its variables' meanings. */
  says?: string;
  /** What the section says after its table and rules (Markdown): how the variables work together. */
  notes?: string;
  /** Rules between its variables (and those it borrows), checked in order before `build`. */
  rules?: readonly Rule<V & Partial<Values<U>>>[];
  /**
   * Variables of other fragments its rules read (`borrow`): read by the same readers, never documented or
   * counted here, undefined when their own fragment refuses them (that fragment reports the problem).
   */
  uses?: U;
}

/**
 * A fragment from an object of variables and a function building the settings. Its `rules` are checked first,
 * then `build` runs, which may refuse a combination with `fail(message)` and report a problem that does not stop
 * start-up with `warn(message)`, as rules do; after any refusal the settings are dropped.
 */
export function fragment<S extends z.ZodRawShape, T, U extends z.ZodRawShape = Record<never, never>>(
  shape: S,
  build: (values: Values<S>, fail: (message: string) => never, warn: (message: string) => void) => T,
  options: FragmentOptions<Values<S>, U> = {},
): SettingsFragment<T, S> {
  const uses = options.uses ?? ({} as U);
  const borrowed = Object.fromEntries(
    Object.entries(uses).map(([name, reader]) => [name, (reader as z.ZodType<unknown>).catch(undefined)]),
  );
  // Each variable's refusal is kept (not thrown) so the rules still run on the others: one run says everything.
  const own = Object.fromEntries(
    Object.entries(shape).map(([name, reader]) => [
      name,
      (reader as z.ZodType<unknown>)
        .catch(({ error }: { error: z.ZodError }) => new Refused(error.issues.map((issue) => issue.message)))
        .meta(z.globalRegistry.get(reader as z.ZodType<unknown>) ?? {}),
    ]),
  );
  return z
    .object({ ...own, ...borrowed })
    .transform((read, ctx) => {
      let failed = false;
      const values: Record<string, unknown> = {};
      for (const [name, value] of Object.entries(read)) {
        if (!(value instanceof Refused)) values[name] = value;
        // A borrowed variable refused is its own fragment's to report; here it is only unknown.
        else if (name in shape) {
          failed = true;
          for (const message of value.messages) ctx.addIssue({ code: 'custom', message, path: [name] });
        }
      }
      // The rules see a refused variable as unset; the settings are built only from valid values.
      const refused = failed;
      const fail = (message: string): never => {
        failed = true;
        ctx.addIssue({ code: 'custom', message, path: [] });
        return z.NEVER as never;
      };
      const warn = (message: string) => {
        warningSink?.push(message);
      };
      for (const rule of options.rules ?? []) rule.check(values as Values<S> & Partial<Values<U>>, fail, warn);
      if (refused) return z.NEVER;
      // Built even after a rule's refusal, so its own refusals are reported too; the settings are then dropped.
      const settings = build(values as Values<S>, fail, warn);
      return failed ? z.NEVER : settings;
    })
    .meta({
      ...(options.title ? { title: options.title } : {}),
      ...(options.says ? { description: options.says } : {}),
      ...(options.notes ? { notes: options.notes } : {}),
      rules: (options.rules ?? []).map((r) => r.says),
      borrowed: Object.keys(uses),
    }) as unknown as SettingsFragment<T, S>;
}

/** A variable its reader refused, with the reader's messages: reported by its fragment after the rules ran. */
class Refused {
  constructor(readonly messages: readonly string[]) {}
}

/** Readers of `names` of another fragment, for a fragment's `uses`: the very readers, so one default each. */
export function borrow<S extends z.ZodRawShape, K extends keyof S & string>(
  f: SettingsFragment<unknown, S>,
  ...names: K[]
): Pick<S, K> {
  return Object.fromEntries(names.map((name) => [name, f.in.shape[name]])) as Pick<S, K>;
}

/** The environment variables a fragment reads (not those it borrows for its rules). */
export function variablesOf(f: SettingsFragment<unknown>): string[] {
  const borrowed = f.meta()?.borrowed ?? [];
  return Object.keys(f.in.shape).filter((name) => !borrowed.includes(name));
}

/** The messages of a failed parse: each names its variable. */
function messagesOf(error: z.ZodError): string[] {
  return error.issues.map((issue) =>
    issue.path.length > 0 ? `${issue.path.join('.')} ${issue.message}` : issue.message,
  );
}

/** Parses `env` with one fragment; its problems (all of them) are thrown as one `ConfigError`. */
export function readFragment<T>(f: SettingsFragment<T>, source: Env): T {
  const result = f.safeParse(source);
  if (!result.success) throw new ConfigError(problemsOf(result.error));
  return result.data;
}

/**
 * Reads several fragments and reports every problem at once: `read` returns a fragment's
 * settings, or undefined after noting its problems in `messages`; the warnings of the fragments
 * read (`fragment`'s `warn`) are in `warnings`.
 */
export function fragmentReader(source: Env): {
  read<T>(f: SettingsFragment<T>): T | undefined;
  messages: string[];
  warnings: string[];
} {
  const messages: string[] = [];
  const warnings: string[] = [];
  return {
    messages,
    warnings,
    read<T>(f: SettingsFragment<T>): T | undefined {
      const outer = warningSink;
      warningSink = warnings;
      try {
        const result = f.safeParse(source);
        if (result.success) return result.data;
        messages.push(...problemsOf(result.error));
        return undefined;
      } finally {
        warningSink = outer;
      }
    },
  };
}

function problemsOf(error: z.ZodError): string[] {
  const messages = messagesOf(error);
  return messages.length > 0 ? messages : ['invalid configuration'];
}

/** Levenshtein distance between two names. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++)
      row[j] = Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = row;
  }
  return previous[b.length]!;
}

/** The known name closest to `name`, when close: at most 40 % of the longer name's length edited. */
function closestName(name: string, known: Iterable<string>): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const candidate of known) {
    const distance = editDistance(name, candidate);
    if (distance > Math.floor(0.4 * Math.max(name.length, candidate.length))) continue;
    if (!best || distance < best.distance) best = { name: candidate, distance };
  }
  return best?.name;
}

/** An unset variable that looks like one of ours. */
export interface UnknownVariable {
  name: string;
  /** The closest known name, when close. */
  suggestion?: string;
}

/**
 * Families the gateway reads some of but shares with other tools: `OTEL_` belongs to the
 * OpenTelemetry SDK (its exporter reads `OTEL_EXPORTER_OTLP_HEADERS` and more itself, and
 * platforms set `OTEL_*` for every container), so an `OTEL_` name the gateway does not read is
 * never reported as unknown. `LOG_` is as generic (`LOG_FORMAT` and the like belong to other
 * programs), so `LOG_LEVEL` and `LOG_SYNC` do not claim it either.
 */
const SHARED_FAMILIES = new Set(['OTEL', 'LOG']);

/**
 * The variables of `source` that look like the gateway's but are none of `known`. A name looks
 * like ours when its first `_`-separated segment is a family of ours: the first segment of at
 * least two known names (`UPSTREAM_`, `LIVE_`, `REDIS_`, `MAX_`, each provider's…, derived from `known`).
 * A prefix only one known name has (`LOG_`, `AUTH_`, `CORS_`…) is too generic to claim, a name
 * with a `TEST` segment (`REDIS_TEST_URL`) belongs to test tooling, never to the gateway, and a
 * shared family (`OTEL_`) is never claimed.
 */
export function unknownVariables(source: Env, known: Iterable<string>): UnknownVariable[] {
  const names = new Set(known);
  const perPrefix = new Map<string, number>();
  for (const name of names) {
    const prefix = prefixOf(name);
    if (prefix) perPrefix.set(prefix, (perPrefix.get(prefix) ?? 0) + 1);
  }
  const ours = (name: string) => {
    const prefix = prefixOf(name);
    return (
      prefix !== undefined &&
      (perPrefix.get(prefix) ?? 0) >= 2 &&
      !SHARED_FAMILIES.has(prefix) &&
      !name.split('_').includes('TEST')
    );
  };
  return Object.keys(source)
    .filter((name) => source[name] !== undefined && !names.has(name) && ours(name))
    .sort()
    .map((name) => {
      const suggestion = closestName(name, names);
      return suggestion ? { name, suggestion } : { name };
    });
}

/** The first `_`-separated segment of a name with one (`UPSTREAM_RETRIES`: `UPSTREAM`). */
function prefixOf(name: string): string | undefined {
  const at = name.indexOf('_');
  return at > 0 ? name.slice(0, at) : undefined;
}
