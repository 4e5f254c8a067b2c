import type { ProviderName } from '../domain/batch.js';
import { ErrorCode, GatewayError, type FieldError } from '../domain/errors.js';
import { UpstreamHttpError } from './types.js';
import { classOfStatus, classOfUpstreamFailure } from './write-answers.js';
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

/** A provider's reading of a refused write's body: its field messages (and a code it spells out itself). */
export interface WriteRefusal {
  code?: ErrorCode;
  fieldErrors?: FieldError[];
}

const WRITE_MESSAGES: Record<string, (p: ProviderName) => string> = {
  [ErrorCode.PROVIDER_REJECTED_INPUT]: (p) => `${p} refused the input`,
  [ErrorCode.PROVIDER_QUOTA_EXCEEDED]: (p) => `${p} refused the write: the account's quota is used up`,
  [ErrorCode.PAYLOAD_TOO_LARGE]: (p) => `${p} refused the write as too large`,
  [ErrorCode.CONFLICT]: (p) => `${p} refused the write as conflicting with its current state`,
  [ErrorCode.CANNOT_CANCEL]: (p) => `${p} cannot cancel this batch: it has finished already`,
};

/**
 * Turns what a write threw into a `GatewayError`, by the class of its answer (`write-answers.ts`): a
 * refusal the client can act on keeps the provider's field messages (400/422 `PROVIDER_REJECTED_INPUT`,
 * 413 `PAYLOAD_TOO_LARGE`, 409 `CONFLICT`) or is the account's (402 `PROVIDER_QUOTA_EXCEEDED`); an
 * ambiguous answer (a 5xx or 408, a 2xx the gateway could not read, a reset or the deadline after the
 * request was handed to the connection) is `OUTCOME_UNKNOWN`, never a plain failure, since the provider
 * may have acted on it. Anything else maps as a read's error does. `read` interprets the provider's error body.
 */
export function toWriteError(
  provider: ProviderName,
  error: unknown,
  read: (status: number, body: unknown) => WriteRefusal | undefined,
  refine?: (status: number, body: unknown) => ErrorCode | undefined,
): unknown {
  if (error instanceof GatewayError && error.code === ErrorCode.OUTCOME_UNKNOWN) return error;
  if (error instanceof UpstreamHttpError && classOfStatus(error.status) === 'refused') {
    const refusal = read(error.status, error.body);
    const code =
      refusal?.code ??
      (error.status === 400 || error.status === 422
        ? ErrorCode.PROVIDER_REJECTED_INPUT
        : error.status === 402
          ? ErrorCode.PROVIDER_QUOTA_EXCEEDED
          : error.status === 413
            ? ErrorCode.PAYLOAD_TOO_LARGE
            : error.status === 409
              ? ErrorCode.CONFLICT
              : undefined);
    if (code && WRITE_MESSAGES[code])
      return new GatewayError(code, WRITE_MESSAGES[code](provider), {
        provider,
        upstreamStatus: error.status,
        cause: error,
        ...(refusal?.fieldErrors?.length ? { fieldErrors: refusal.fieldErrors } : {}),
      });
  }
  if (classOfUpstreamFailure(error) === 'ambiguous')
    return new GatewayError(
      ErrorCode.OUTCOME_UNKNOWN,
      `${provider} may or may not have accepted the write: ${ambiguity(error)} ` +
        '(docs/writes.md, "When the outcome is unknown")',
      { provider, cause: error, ...(statusOf(error) !== undefined ? { upstreamStatus: statusOf(error)! } : {}) },
    );
  return toGatewayError(provider, error, refine);
}

const statusOf = (error: unknown): number | undefined =>
  error instanceof UpstreamHttpError ? error.status : error instanceof GatewayError ? error.upstreamStatus : undefined;

/** Why an answer is ambiguous, for the client's message (never the upstream body). */
function ambiguity(error: unknown): string {
  const status = statusOf(error);
  if (status !== undefined && (status < 200 || status >= 300)) return `it answered HTTP ${status}`;
  if (status !== undefined || error instanceof WireShapeError) return 'its answer could not be read';
  return 'no answer came back in time';
}
