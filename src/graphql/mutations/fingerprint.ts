import { createHash } from 'node:crypto';

/** A value in a canonical form: object keys sorted, Dates as ISO strings, files by name, size and type. */
function canonical(value: unknown, depth = 0): unknown {
  if (depth > 64) return null;
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Blob) return { file: (value as Partial<File>).name ?? null, size: value.size, type: value.type };
  if (Array.isArray(value)) return value.map((v) => canonical(v, depth + 1));
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
        .map((k) => [k, canonical((value as Record<string, unknown>)[k], depth + 1)]),
    );
  return value;
}

/**
 * The fingerprint of a write's input under an idempotency key: the mutation's name and its arguments
 * (the key itself left out), canonical, hashed. Two inputs that differ only in key order are one input;
 * a file counts by its name, size and type (its bytes are streamed on, never hashed).
 */
export function fingerprintOf(field: string, args: Record<string, unknown>): string {
  const { idempotencyKey: _key, ...input } = args;
  return createHash('sha256')
    .update(JSON.stringify([field, canonical(input)]))
    .digest('base64url');
}
