/**
 * Checked readers for upstream JSON. Every adapter reads wire objects through these, so a body
 * that drifts from the provider's documented schema (a string where a number belongs, a missing
 * required field) stops at the boundary as a `WireShapeError` instead of flowing on as a wrong
 * value. Optional fields tolerate `null` and absence, as the providers' docs allow.
 */
export class WireShapeError extends Error {
  constructor(
    readonly path: string,
    expected: string,
  ) {
    super(`wire shape: ${path} is not ${expected}`);
    this.name = 'WireShapeError';
  }
}

/**
 * A JSON object not yet trusted, with its location for error messages. `T` is the wire type
 * generated from the provider's OpenAPI spec: readers only accept keys of `T`, so a field name
 * that is not in the spec fails to compile.
 */
export type WireObject<T = Record<string, unknown>> = {
  readonly value: Record<string, unknown>;
  readonly path: string;
  readonly __wire?: T;
};

type Key<T> = Extract<keyof T, string>;

/** Asserts `value` is a plain JSON object of (as yet unchecked) wire type `T`. */
export function obj<T = Record<string, unknown>>(value: unknown, path: string): WireObject<T> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new WireShapeError(path, 'an object');
  return { value: value as Record<string, unknown>, path };
}

/** Reads a required string field. */
export function str<T>(o: WireObject<T>, key: Key<T>): string {
  const v = o.value[key];
  if (typeof v !== 'string') throw new WireShapeError(`${o.path}.${key}`, 'a string');
  return v;
}

/** Reads a required string field that some providers send as a number (ids). */
export function idString<T>(o: WireObject<T>, key: Key<T>): string {
  const v = o.value[key];
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return str(o, key);
}

/** Reads an optional string field (absent or null gives null). */
export function optStr<T>(o: WireObject<T>, key: Key<T>): string | null {
  const v = o.value[key];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') throw new WireShapeError(`${o.path}.${key}`, 'a string or null');
  return v;
}

/** Reads an optional finite number (absent or null gives null). */
export function optNum<T>(o: WireObject<T>, key: Key<T>): number | null {
  const v = o.value[key];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new WireShapeError(`${o.path}.${key}`, 'a number or null');
  return v;
}

/** Reads a required finite number. */
export function num<T>(o: WireObject<T>, key: Key<T>): number {
  const v = optNum(o, key);
  if (v === null) throw new WireShapeError(`${o.path}.${key}`, 'a number');
  return v;
}

/** Reads an optional boolean. */
export function optBool<T>(o: WireObject<T>, key: Key<T>): boolean | null {
  const v = o.value[key];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'boolean') throw new WireShapeError(`${o.path}.${key}`, 'a boolean or null');
  return v;
}

/** Reads an optional object (absent or null gives null). */
export function optObj<T, K extends Key<T>>(o: WireObject<T>, key: K): WireObject<NonNullable<T[K]>> | null {
  const v = o.value[key];
  if (v === undefined || v === null) return null;
  return obj<NonNullable<T[K]>>(v, `${o.path}.${key}`);
}

/** Reads an optional array (absent or null gives null). */
export function optArr<T>(o: WireObject<T>, key: Key<T>): unknown[] | null {
  const v = o.value[key];
  if (v === undefined || v === null) return null;
  if (!Array.isArray(v)) throw new WireShapeError(`${o.path}.${key}`, 'an array or null');
  return v;
}

/** Reads an array of strings (absent gives []). */
export function strArr<T>(o: WireObject<T>, key: Key<T>): string[] {
  return (optArr(o, key) ?? []).map((item, i) => {
    if (typeof item !== 'string') throw new WireShapeError(`${o.path}.${key}[${i}]`, 'a string');
    return item;
  });
}

/**
 * Parses an optional timestamp. Unparseable strings are treated as drift and rejected rather
 * than silently turned into null.
 */
export function optDate<T>(o: WireObject<T>, key: Key<T>): Date | null {
  const s = optStr(o, key);
  if (s === null || s === '') return null;
  const d = new Date(s);
  if (Number.isNaN(d.getTime())) throw new WireShapeError(`${o.path}.${key}`, 'an ISO-8601 timestamp');
  return d;
}

/** A field's raw value, keyed by the wire type (for a nested object a reader checks next). */
export function field<T>(o: WireObject<T>, key: Key<T>): unknown {
  return o.value[key];
}
