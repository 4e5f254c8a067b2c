import { z } from 'zod';

/**
 * Settings as zod schemas. Every module that owns settings declares a fragment next to its
 * defaults: a `z.object` keyed by environment variable names, transformed into the typed
 * settings. `config.ts` composes the fragments; the variable names of the whole gateway are the
 * keys of the fragments' objects (`variablesOf`).
 */

/** Thrown when the environment is inconsistent; the message names the variable. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** The environment as read: variable name to raw value. */
export type Env = Record<string, string | undefined>;

/** A fragment: an object of environment variables, transformed into typed settings. */
export type SettingsFragment<T> = z.ZodPipe<z.ZodObject<z.ZodRawShape>, z.ZodTransform<T, Record<string, unknown>>>;

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

/** Readers of one variable. */
export const env = {
  /** A string, or undefined when unset or blank. */
  text: () => raw,
  /** A decimal integer in `[min, max]`, or `fallback` when unset. */
  int: (fallback: number, min: number, max: number) =>
    raw.transform((v, ctx): number => {
      if (v === undefined) return fallback;
      if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max)
        return refuse(ctx, `must be an integer from ${min} to ${max}, got "${v}"`);
      return Number(v);
    }),
  /** A decimal number in `[min, max]`, or `fallback` when unset. */
  number: (fallback: number, min: number, max: number) =>
    raw.transform((v, ctx): number => {
      if (v === undefined) return fallback;
      if (!/^\d+(\.\d+)?$/.test(v) || Number(v) < min || Number(v) > max)
        return refuse(ctx, `must be a number from ${min} to ${max}, got "${v}"`);
      return Number(v);
    }),
  /** true/false (also 1/0, yes/no, on/off), or `fallback` when unset. */
  bool: (fallback: boolean) =>
    raw.transform((v, ctx): boolean => {
      const word = v?.toLowerCase();
      if (word === undefined) return fallback;
      if (['true', '1', 'yes', 'on'].includes(word)) return true;
      if (['false', '0', 'no', 'off'].includes(word)) return false;
      return refuse(ctx, `must be true or false, got "${word}"`);
    }),
  /** Any reading: `read` gets the trimmed value (undefined when unset) and may refuse it. */
  custom: <T>(read: (value: string | undefined, refuse: (message: string) => never) => T) =>
    raw.transform((v, ctx): T => read(v, (message) => refuse(ctx, message))),
  /** One of `values`, or `fallback` when unset. */
  oneOf: <T extends string>(values: readonly T[], fallback: T) =>
    raw.transform((v, ctx): T => {
      if (v === undefined) return fallback;
      if (!(values as readonly string[]).includes(v))
        return refuse(ctx, `must be one of ${values.join(', ')}, got "${v}"`);
      return v as T;
    }),
};

/**
 * A fragment from an object of variables and a function building the settings; `build` may
 * refuse a combination with `fail(message)`, whose message names the variables itself.
 */
export function fragment<S extends z.ZodRawShape, T>(
  shape: S,
  build: (values: z.output<z.ZodObject<S>>, fail: (message: string) => never) => T,
): SettingsFragment<T> {
  return z.object(shape).transform((values, ctx) =>
    build(values, (message) => {
      ctx.addIssue({ code: 'custom', message, path: [] });
      return z.NEVER as never;
    }),
  ) as unknown as SettingsFragment<T>;
}

/** The environment variables a fragment reads. */
export function variablesOf(f: SettingsFragment<unknown>): string[] {
  return Object.keys(f.in.shape);
}

/** The messages of a failed parse: each names its variable. */
export function messagesOf(error: z.ZodError): string[] {
  return error.issues.map((issue) =>
    issue.path.length > 0 ? `${issue.path.join('.')} ${issue.message}` : issue.message,
  );
}

/** Parses `env` with one fragment; the first problem is thrown as a `ConfigError`. */
export function readFragment<T>(f: SettingsFragment<T>, source: Env): T {
  const result = f.safeParse(source);
  if (!result.success) throw new ConfigError(messagesOf(result.error)[0] ?? 'invalid configuration');
  return result.data;
}
