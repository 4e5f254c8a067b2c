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
  /** The gateway refused to send an upstream request it built (an invalid header value). */
  UPSTREAM_REQUEST_REFUSED: 'UPSTREAM_REQUEST_REFUSED',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Options of a `GatewayError`; `cause` is for logs only and never reaches a client. */
export interface GatewayErrorOptions {
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

  constructor(code: ErrorCode, message: string, options: GatewayErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GatewayError';
    this.code = code;
    this.provider = options.provider;
    this.retryAfterMs = options.retryAfterMs;
    this.upstreamStatus = options.upstreamStatus;
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
