import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { badInput } from '../../domain/errors.js';

/** Longest cursor accepted; real ones are a few hundred characters. */
const MAX_CURSOR_LENGTH = 4096;

/** Signs and checks opaque connection cursors. */
export interface CursorCodec {
  /** A cursor carrying `payload`, bound to `binding` (the list and arguments it belongs to). */
  encode(binding: string, payload: unknown): string;
  /** The payload of a cursor made by `encode` with the same binding; `BAD_USER_INPUT` otherwise. */
  decode(binding: string, cursor: string, argument: string): unknown;
}

/** A short digest of what a cursor is bound to: the list, its filter and order, the caller's scope. */
export function bindingOf(parts: unknown): string {
  return createHash('sha256').update(canonicalJson(parts)).digest('base64url').slice(0, 16);
}

/**
 * Cursors are `base64url(json) "." base64url(hmac)`: the JSON holds the binding digest and the
 * positions, the HMAC (SHA-256, truncated to 128 bits) makes them tamper-evident. They are
 * opaque to clients but not encrypted: they hold upstream offsets and cursors, nothing secret.
 */
export function createCursorCodec(secret: string): CursorCodec {
  const mac = (body: string) => createHmac('sha256', secret).update(body).digest().subarray(0, 16);
  return {
    encode(binding, payload) {
      const body = Buffer.from(JSON.stringify({ b: binding, p: payload })).toString('base64url');
      return `${body}.${mac(body).toString('base64url')}`;
    },
    decode(binding, cursor, argument) {
      const malformed = () => badInput(`\`${argument}\` is not a cursor this list issued (malformed or altered)`);
      if (cursor.length === 0 || cursor.length > MAX_CURSOR_LENGTH) throw malformed();
      const [body, signature, extra] = cursor.split('.');
      if (!body || !signature || extra !== undefined || !/^[A-Za-z0-9_-]+$/.test(body + signature)) throw malformed();
      const given = Buffer.from(signature, 'base64url');
      const expected = mac(body);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw malformed();
      let parsed: { b?: unknown; p?: unknown };
      try {
        parsed = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as { b?: unknown; p?: unknown };
      } catch {
        throw malformed();
      }
      if (parsed.b !== binding) {
        throw badInput(
          `\`${argument}\` was issued for a different list, filter or order; start again without \`${argument}\``,
        );
      }
      return parsed.p;
    },
  };
}

/** JSON with object keys sorted, so equal arguments always give the same binding. */
function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : 1));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}
