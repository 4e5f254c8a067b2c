import { AsyncLocalStorage } from 'node:async_hooks';
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

/** What code running for one GraphQL operation can reach without a context: its logger (with `requestId`). */
export interface RequestScope {
  requestId: string;
  log: Logger;
  /** The operation's server span when tracing is on: upstream attempts are its children (`tracing.ts`). */
  span?: Span;
}

/**
 * The operation being executed (set around execute/subscribe by the access-log plugin), so the
 * upstream layer's failure reports and yoga's own log lines carry the request id.
 */
export const requestScope = new AsyncLocalStorage<RequestScope>();

/** The logger of the operation running now, else `fallback`. */
export function scopedLogger(fallback: Logger): Logger {
  return requestScope.getStore()?.log ?? fallback;
}
