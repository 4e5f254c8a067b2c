import type { ProviderName } from '../domain/batch.js';
import { ErrorCode, GatewayError } from '../domain/errors.js';
import { UpstreamHttpError } from './upstream-types.js';
import { WireShapeError } from './wire.js';

/**
 * Maps an upstream HTTP status to a gateway error code. Auth failures are the gateway's
 * configuration problem, not the client's, so they get their own code; a 4xx the provider
 * should not have sent for a well-formed request is treated as a bad response.
 */
export function codeFromStatus(status: number): ErrorCode {
  if (status === 404) return ErrorCode.NOT_FOUND;
  if (status === 401 || status === 403) return ErrorCode.PROVIDER_AUTH_FAILED;
  if (status === 429) return ErrorCode.PROVIDER_RATE_LIMITED;
  if (status === 504 || status === 408) return ErrorCode.PROVIDER_TIMEOUT;
  if (status >= 500) return ErrorCode.PROVIDER_UNAVAILABLE;
  return ErrorCode.PROVIDER_BAD_RESPONSE;
}

const MESSAGES: Record<string, (p: ProviderName) => string> = {
  [ErrorCode.NOT_FOUND]: (p) => `${p} has no such batch`,
  [ErrorCode.PROVIDER_AUTH_FAILED]: (p) => `${p} rejected the gateway's credentials`,
  [ErrorCode.PROVIDER_RATE_LIMITED]: (p) => `${p} is rate-limiting the gateway; try again later`,
  [ErrorCode.PROVIDER_TIMEOUT]: (p) => `${p} timed out`,
  [ErrorCode.PROVIDER_UNAVAILABLE]: (p) => `${p} is unavailable`,
  [ErrorCode.PROVIDER_BAD_RESPONSE]: (p) => `${p} sent a response the gateway could not use`,
};

/**
 * Turns anything an adapter call threw into a client-safe `GatewayError` naming the provider.
 * `refine` lets an adapter read its provider's error envelope (e.g. a body code meaning "not
 * found" under another status). Upstream bodies go to `cause` only, never into the message.
 */
export function toGatewayError(
  provider: ProviderName,
  error: unknown,
  refine?: (status: number, body: unknown) => ErrorCode | undefined,
): unknown {
  if (error instanceof GatewayError) return error;
  if (error instanceof UpstreamHttpError) {
    const code = refine?.(error.status, error.body) ?? codeFromStatus(error.status);
    const message = MESSAGES[code]?.(provider) ?? `${provider} failed`;
    return new GatewayError(code, message, {
      provider,
      upstreamStatus: error.status,
      retryAfterMs: error.retryAfterMs,
      cause: error,
    });
  }
  if (error instanceof WireShapeError) {
    return new GatewayError(
      ErrorCode.PROVIDER_BAD_RESPONSE,
      `${provider} sent a response that does not match its documented schema`,
      {
        provider,
        cause: error,
      },
    );
  }
  // Aborts (client gone, subscription ended) and programming errors pass through untouched.
  return error;
}
