import { randomUUID } from 'node:crypto';
import type { Span } from '@opentelemetry/api';
import type { Logger } from 'pino';

/** The header a request id comes in and goes out on. */
export const REQUEST_ID_HEADER = 'x-request-id';

const VALID_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The client's `x-request-id` when it is at most 128 characters of `[A-Za-z0-9._:-]`, else a new UUID. */
export function requestIdOf(header: string | null | undefined): string {
  return header && VALID_ID.test(header) ? header : randomUUID();
}

/**
 * What the upstream layer and the logs know of one GraphQL operation: its logger (with `requestId`) and
 * its span. Upstream calls get it with their signal (`providers/call-context.ts`).
 */
export interface RequestScope {
  requestId: string;
  log: Logger;
  /** The operation's server span when tracing is on: upstream attempts are its children (`tracing.ts`). */
  span?: Span;
}

/**
 * The operation each execution error belongs to, noted by the operation's scope before yoga masks and logs
 * the error, so yoga's report of it carries the operation's `requestId` (`logging.ts`).
 */
const errorScopes = new WeakMap<object, RequestScope>();

/** Notes that `error` was raised by the operation of `scope`. */
export function noteErrorScope(error: object, scope: RequestScope): void {
  errorScopes.set(error, scope);
}

/** The logger of the operation that raised `error`, else `fallback`. */
export function errorLogger(error: object | undefined, fallback: Logger): Logger {
  return (error && errorScopes.get(error)?.log) || fallback;
}
