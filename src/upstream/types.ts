import type { ProviderName } from '../domain/batch.js';
import type { RequestScope } from '../observability/request-scope.js';
import type { CallContext } from './call-context.js';

/**
 * The types the upstream layers share, so the stack runs one way (`stack.ts`): a provider's client
 * calls the budget (`budget/gates.ts`) and the policy (`policy.ts`), which end in the raw undici layer
 * (`raw.ts`); none imports another's types.
 */

/** The breaker states a client can see in `Query.providers`. */
export type CircuitStateName = 'CLOSED' | 'OPEN' | 'HALF_OPEN';

/** What is known of a failed call beyond its outcome (never a body, a URL or a header). */
export interface UpstreamCallDetail {
  /** The provider's HTTP status, when it answered. */
  upstreamStatus?: number;
  /** The call never went out: the provider's circuit breaker was open. */
  circuitOpen?: boolean;
  /**
   * A write the provider definitely refused (a 4xx it chose, `write-answers.ts`: `CANNOT_CANCEL`, a rejected
   * input): the client's error, answered as a user error, not a failure of the provider.
   */
  refusal?: boolean;
  /** The GraphQL operation the call was made for (its logger carries the `requestId`); polls have none. */
  scope?: RequestScope;
}

/**
 * One call as the upstream layer hands it to each of its attempts (`budget/gates.ts`): what it is for, read
 * from its caller's signal when it starts (`call-context.ts`), and whether the budget its first
 * attempt spends was already taken before the policy.
 */
export interface UpstreamCall extends Readonly<CallContext> {
  /** The first attempt's budget was taken before the policy (`budgetCalls`); false once it is spent. */
  prepaid: boolean;
}

/**
 * What the upstream layer reports for each call (through the policy, so retries count once).
 * `outcome` is `ok`, `aborted` (the caller left) or the gateway's error code of the failure.
 */
export type UpstreamObserver = (
  provider: ProviderName,
  outcome: string,
  seconds: number,
  detail?: UpstreamCallDetail,
) => void;

/**
 * Told each call the policy dropped without sending it: its signal aborted (every caller left, or its
 * deadline passed) while it waited under the policy (for the breaker's half-open probe, a bulkhead
 * slot). Such a call is also reported once to `UpstreamObserver`, as `aborted` or PROVIDER_TIMEOUT.
 */
export type UpstreamDropObserver = (provider: ProviderName) => void;

/** Told each transition of a provider's circuit breaker (once per transition). */
export type CircuitObserver = (provider: ProviderName, state: CircuitStateName) => void;

/** Set on the error of an attempt cut off by its call's deadline (`policy.ts`): the breaker counts it, no retry. */
export const DEADLINE_HIT = Symbol('deadline hit');

/**
 * Whether `error` is a call's deadline hit. The policy aborts the call's signal with that error, so
 * every attempt cut off by it fails with it, whatever undici or the budget threw.
 */
export function isDeadlineHit(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { [DEADLINE_HIT]?: boolean })[DEADLINE_HIT] === true;
}

/** A non-2xx upstream answer, handed to the adapter, which maps it to a `GatewayError`. */
export class UpstreamHttpError extends Error {
  constructor(
    readonly status: number,
    /** Parsed JSON body, or undefined when it was not JSON. Never shown to clients. */
    readonly body: unknown,
    readonly retryAfterMs: number | undefined,
  ) {
    super(`upstream answered HTTP ${status}`);
    this.name = 'UpstreamHttpError';
  }
}

/** The HTTP methods the providers' documented endpoints use. */
export type UpstreamMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';

/**
 * A request body: JSON, or one file as `multipart/form-data` (an upload), whose bytes are
 * streamed from the `Blob` to the provider as they are read, never copied into a second buffer.
 */
export type UpstreamBody =
  | { kind: 'json'; value: unknown }
  | { kind: 'file'; field: string; file: Blob; fileName: string; contentType?: string };

/** A JSON-over-HTTP client bound to one provider. */
export interface UpstreamHttp {
  /** The circuit breaker's state, when the client is protected by a policy. */
  circuit?(): CircuitStateName;
  /** Background calls per ms the provider's request budget allows (Infinity: no limit). */
  pollRate?(): number;
  /**
   * Until when (ms since the epoch) the provider's own answers hold calls back (`X-RateLimit-Remaining`
   * spent until its reset, a 429's Retry-After for polling; `quota.ts`); undefined: not paused.
   */
  pausedUntil?(): number | undefined;
  /** The most interactive calls one request could get within `withinMs` (Infinity: no limit; `quota.ts`). */
  interactiveCapacity?(withinMs: number): number;
  /**
   * Sends `method` to `path` with `query` (and `body`); resolves the parsed JSON of a 2xx, throws
   * `UpstreamHttpError` or `GatewayError`. Only GETs are retried; a write, once started, is never
   * abandoned because `signal` aborts (`policy.ts`).
   */
  request(
    method: UpstreamMethod,
    path: string,
    query?: Record<string, string | undefined>,
    signal?: AbortSignal,
    headers?: Record<string, string>,
    body?: UpstreamBody,
    /** Set by the upstream layer itself (`budget/gates.ts`), never by a provider client. */
    call?: UpstreamCall,
  ): Promise<unknown>;
  close(): Promise<void>;
}

/** Set on the failure of an attempt whose request was handed to the connection (`raw.ts`): it may have been sent. */
const MAY_HAVE_SENT = Symbol('may have been sent');

/**
 * Transport failures that happen before a byte of the request can reach the provider: the connection
 * was refused, the name did not resolve, the host is unreachable, connecting timed out.
 */
const BEFORE_SENDING = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/**
 * Marks `error` as the failure of an attempt handed to the connection, unless its transport code (or its
 * cause's) says the request never left. Writes read it (`write-answers.ts`): a call that may have been sent
 * has an unknown outcome.
 */
export function markMayHaveBeenSent(error: unknown, transportError: unknown): void {
  if (typeof error !== 'object' || error === null) return;
  const code = (transportError as { code?: unknown } | null)?.code;
  const causeCode = ((transportError as { cause?: unknown } | null)?.cause as { code?: unknown } | null)?.code;
  if (BEFORE_SENDING.has(String(code)) || BEFORE_SENDING.has(String(causeCode))) return;
  (error as { [MAY_HAVE_SENT]?: boolean })[MAY_HAVE_SENT] = true;
}

/** Whether `error` (or its cause) is the failure of an attempt that may have reached the provider. */
export function mayHaveBeenSent(error: unknown): boolean {
  for (let e = error, depth = 0; typeof e === 'object' && e !== null && depth < 4; depth++) {
    if ((e as { [MAY_HAVE_SENT]?: boolean })[MAY_HAVE_SENT] === true) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}
