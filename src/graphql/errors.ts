import type { GraphQLError } from 'graphql';
import { createGraphQLError, maskError as yogaMaskError, type MaskError } from 'graphql-yoga';
import { GatewayError } from '../domain/errors.js';

/**
 * Finds a `GatewayError` behind a GraphQLError (resolvers throw them; graphql-js wraps them).
 * Duck-typed on `originalError`: `instanceof GraphQLError` is unreliable when graphql is loaded
 * both as ESM and CJS (the dual-package hazard).
 */
function gatewayErrorOf(error: unknown): GatewayError | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current; depth++) {
    if (current instanceof GatewayError) return current;
    current = typeof current === 'object' && 'originalError' in current ? current.originalError : undefined;
  }
  return undefined;
}

function isGraphQLErrorLike(error: unknown): error is GraphQLError {
  return typeof error === 'object' && error !== null && 'originalError' in error && 'path' in error;
}

/**
 * Yoga's `maskError`: a `GatewayError` is shown with its client-safe message and
 * `extensions.code` (plus `provider` and `retryAfterMs` for upstream failures); anything
 * else is masked as "Unexpected error." by yoga's default, so stack traces and upstream
 * details never reach a client.
 */
export const maskError: MaskError = (error, message, isDev) => {
  const gatewayError = gatewayErrorOf(error);
  if (gatewayError && isGraphQLErrorLike(error)) {
    return createGraphQLError(gatewayError.message, {
      nodes: error.nodes,
      source: error.source,
      positions: error.positions,
      path: error.path,
      extensions: {
        code: gatewayError.code,
        ...(gatewayError.provider ? { provider: gatewayError.provider } : {}),
        ...(gatewayError.retryAfterMs !== undefined ? { retryAfterMs: gatewayError.retryAfterMs } : {}),
      },
    });
  }
  return ownShape(yogaMaskError(error, message, isDev));
};

/**
 * Every error a client sees is the gateway's own: it has an `extensions.code` (a variable that
 * cannot be coerced is `BAD_USER_INPUT`; other request errors yoga raises are `BAD_REQUEST`),
 * and nothing of a parser's or library's own error object (`originalError`) goes along.
 */
function ownShape(error: Error): Error {
  if (!isGraphQLErrorLike(error)) return error;
  const { originalError: _dropped, ...extensions } = (error.extensions ?? {}) as Record<string, unknown>;
  const hadOriginal = _dropped !== undefined;
  let code = extensions.code;
  if (
    code === undefined &&
    /^Variable "\$[^"]+" (got invalid value|of required type|of non-null type)/.test(error.message)
  )
    code = 'BAD_USER_INPUT';
  if (code === undefined && extensions.http !== undefined) code = 'BAD_REQUEST';
  if (!hadOriginal && code === extensions.code) return error;
  const own: Record<string, unknown> = { ...extensions, ...(code !== undefined ? { code } : {}) };
  // Yoga reads `originalError` to choose the HTTP status (400 for a body that is not JSON); kept
  // for that, but not enumerable, so it is never serialised to the client.
  if (hadOriginal) Object.defineProperty(own, 'originalError', { value: _dropped, enumerable: false });
  return createGraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    extensions: own,
  });
}
