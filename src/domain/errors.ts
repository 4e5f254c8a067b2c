import type { ProviderName } from './batch.js';

/**
 * Error codes a client sees in `extensions.code`. Codes survive where `instanceof` does not
 * (across realms, over Redis), so callers switch on them.
 */
export const ErrorCode = {
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  NOT_FOUND: 'NOT_FOUND',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  PROVIDER_NOT_CONFIGURED: 'PROVIDER_NOT_CONFIGURED',
  PROVIDER_UNAVAILABLE: 'PROVIDER_UNAVAILABLE',
  PROVIDER_TIMEOUT: 'PROVIDER_TIMEOUT',
  PROVIDER_RATE_LIMITED: 'PROVIDER_RATE_LIMITED',
  PROVIDER_BAD_RESPONSE: 'PROVIDER_BAD_RESPONSE',
  PROVIDER_AUTH_FAILED: 'PROVIDER_AUTH_FAILED',
  TOO_MANY_SUBSCRIPTIONS: 'TOO_MANY_SUBSCRIPTIONS',
  /** The client started more operations this minute than `RATE_LIMIT_PER_MINUTE` (HTTP 429). */
  RATE_LIMITED: 'RATE_LIMITED',
  QUERY_TOO_COMPLEX: 'QUERY_TOO_COMPLEX',
  /** Persisted-only (`PERSISTED_OPERATIONS_FILE`): a request that sends a query body instead of a document id. */
  PERSISTED_DOCUMENT_REQUIRED: 'PERSISTED_DOCUMENT_REQUIRED',
  /** A `documentId` (or Apollo `sha256Hash`) that neither the operator's list nor the dashboard's holds. */
  PERSISTED_DOCUMENT_NOT_FOUND: 'PERSISTED_DOCUMENT_NOT_FOUND',
  /** A request whose calls to one provider could not fit in what one request can get from its budget. */
  PROVIDER_BUDGET_EXCEEDED: 'PROVIDER_BUDGET_EXCEEDED',
  /** The gateway refused to send an upstream request it built (an invalid header value). */
  UPSTREAM_REQUEST_REFUSED: 'UPSTREAM_REQUEST_REFUSED',
  // Writes (docs/writes.md). The user-error codes travel in a payload's `userErrors`
  // (USER_ERROR_CODES); the others are GraphQL errors.
  /** The provider refused the input of a write (400/422), with its field messages. */
  PROVIDER_REJECTED_INPUT: 'PROVIDER_REJECTED_INPUT',
  /** The provider refused a write for the account's quota (a 402 `quota_exceeded`, say). */
  PROVIDER_QUOTA_EXCEEDED: 'PROVIDER_QUOTA_EXCEEDED',
  /** The provider refused a write as too large (413). */
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  /** The provider refused a write as conflicting with its state (409). */
  CONFLICT: 'CONFLICT',
  /** The batch cannot be cancelled: finished already, or its provider has no cancel. */
  CANNOT_CANCEL: 'CANNOT_CANCEL',
  /** An idempotency key reused with other input. */
  IDEMPOTENCY_CONFLICT: 'IDEMPOTENCY_CONFLICT',
  /** The shared idempotency store (Redis) cannot be reached, so a write with a key is refused. */
  IDEMPOTENCY_STORE_UNAVAILABLE: 'IDEMPOTENCY_STORE_UNAVAILABLE',
  /** The client holds as many idempotency keys as it may (`IDEMPOTENCY_KEYS_PER_CLIENT`): a new key is refused. */
  IDEMPOTENCY_KEY_LIMIT: 'IDEMPOTENCY_KEY_LIMIT',
  /** A write was sent but no answer came back (timeout, dropped connection): the provider may have acted on it. */
  OUTCOME_UNKNOWN: 'OUTCOME_UNKNOWN',
  /** The ledger is off (`LEDGER=off`) or cannot be read: what only it knows (the audit log) cannot be answered. */
  LEDGER_UNAVAILABLE: 'LEDGER_UNAVAILABLE',
  /** Notifications are off (`NOTIFICATIONS`, the ledger off, several replicas on the embedded store) or unreadable. */
  NOTIFICATIONS_UNAVAILABLE: 'NOTIFICATIONS_UNAVAILABLE',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** The codes a write answers as typed user errors in its payload rather than as GraphQL errors. */
export const USER_ERROR_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  ErrorCode.BAD_USER_INPUT,
  ErrorCode.CANNOT_CANCEL,
  ErrorCode.PROVIDER_REJECTED_INPUT,
  ErrorCode.IDEMPOTENCY_CONFLICT,
  ErrorCode.PAYLOAD_TOO_LARGE,
  ErrorCode.CONFLICT,
]);

/** One message about one input field (or about the input as a whole when `field` is null). */
export interface FieldError {
  /** Path of the field, e.g. `["input", "items", "3", "content"]`; null when not about one field. */
  field: string[] | null;
  message: string;
}

/** Options of a `GatewayError`; `cause` is for logs only and never reaches a client. */
export interface GatewayErrorOptions {
  /** A refused write's messages per input field (user errors). */
  fieldErrors?: FieldError[];
  provider?: ProviderName;
  /** Milliseconds the provider asked us to wait (from Retry-After). */
  retryAfterMs?: number;
  /** The upstream HTTP status, for logs and metrics. */
  upstreamStatus?: number;
  cause?: unknown;
}

/**
 * A failure the gateway understands and may show to a client: a code, a client-safe message
 * and, for upstream failures, the provider. Messages never contain upstream bodies, URLs or secrets.
 */
export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly provider: ProviderName | undefined;
  readonly retryAfterMs: number | undefined;
  readonly upstreamStatus: number | undefined;
  readonly fieldErrors: FieldError[] | undefined;

  constructor(code: ErrorCode, message: string, options: GatewayErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GatewayError';
    this.code = code;
    this.provider = options.provider;
    this.retryAfterMs = options.retryAfterMs;
    this.upstreamStatus = options.upstreamStatus;
    this.fieldErrors = options.fieldErrors;
  }
}

/** The one `PROVIDER_NOT_CONFIGURED` error: the provider's base URL is not set on this gateway. */
export function notConfigured(provider: ProviderName): GatewayError {
  return new GatewayError(ErrorCode.PROVIDER_NOT_CONFIGURED, `${provider} is not configured on this gateway`, {
    provider,
  });
}

/** Shorthand for a `BAD_USER_INPUT` error. */
export function badInput(message: string): GatewayError {
  return new GatewayError(ErrorCode.BAD_USER_INPUT, message);
}

/** A `BAD_USER_INPUT` error about input fields: each message names the limit it breaks. */
export function invalidInput(fieldErrors: FieldError[]): GatewayError {
  return new GatewayError(ErrorCode.BAD_USER_INPUT, fieldErrors.map((e) => e.message).join('; '), { fieldErrors });
}
