import type { IncomingMessage, OutgoingHttpHeaders, RequestListener, ServerResponse } from 'node:http';
import { authorizationOf, type Authenticator } from '../identity/auth.js';

/** What the body gate in front of yoga works with (`runtime.ts`). */
export interface BodyGateOptions {
  /** `MAX_BODY_BYTES`: a body up to this size is read whoever sends it (yoga then authenticates). */
  maxBodyBytes: number;
  /** `MAX_MUTATION_BODY_BYTES`: no body over this size is read. */
  maxMutationBodyBytes: number;
  /** The gateway's authenticator (`createAuthenticator`); with `AUTH_MODE=none` everyone may write. */
  authenticate: Authenticator;
  /** `JWT_WRITE_SCOPE`, named in the 403. */
  writeScope: string;
  /** Told an unexpected failure (an authenticator error that is not a refusal, a handler that threw): answered 500. */
  onError?: (error: unknown) => void;
}

/**
 * Answers before a byte of the body is read, in the shape of the gateway's errors, with `Connection:
 * close`; what the client still sends is discarded unparsed until the connection closes.
 */
function refuse(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  headers: OutgoingHttpHeaders = {},
): void {
  if (!res.headersSent && !res.destroyed) {
    res.writeHead(status, { ...headers, 'content-type': 'application/json; charset=utf-8', connection: 'close' });
    res.end(JSON.stringify({ errors: [{ message, extensions: { code } }] }));
  }
  req.resume();
}

/** How much of a body over `MAX_MUTATION_BODY_BYTES` is discarded before its 413 (past the limit), and how long. */
const DRAIN_EXTRA_BYTES = 1024 * 1024;
const DRAIN_MS = 5_000;

/**
 * A 413 for a body over `maxBytes`, answered once the body is discarded (unparsed) when it is at most
 * `DRAIN_EXTRA_BYTES` over and arrives within `DRAIN_MS`: a client that sends its whole body before reading
 * (Node's `fetch`, many HTTP libraries) then sees the status instead of a broken pipe. A body further over,
 * or slower, gets its 413 at once and its connection closed.
 */
function tooLarge(req: IncomingMessage, res: ServerResponse, length: number, maxBytes: number): void {
  const answer = () =>
    refuse(req, res, 413, 'PAYLOAD_TOO_LARGE', `request body larger than ${maxBytes} bytes (MAX_MUTATION_BODY_BYTES)`);
  if (length > maxBytes + DRAIN_EXTRA_BYTES) return answer();
  const timer = setTimeout(answer, DRAIN_MS);
  timer.unref();
  req.on('end', () => {
    clearTimeout(timer);
    answer();
  });
  req.on('error', () => clearTimeout(timer));
  req.resume();
}

/** Closes the connection of a streamed (chunked) body once it grows past `maxBytes`. */
function capStream(req: IncomingMessage, maxBytes: number): void {
  let seen = 0;
  req.on('data', (chunk: Buffer) => {
    seen += chunk.length;
    if (seen > maxBytes) req.destroy();
  });
}

/** The request's headers as `authorizationOf` reads them. */
const headersOf = (req: IncomingMessage) => ({
  headers: {
    get: (name: string): string | null => {
      const value = req.headers[name.toLowerCase()];
      return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
    },
  },
});

/**
 * Nothing large before authentication. A body over `MAX_MUTATION_BODY_BYTES` (by its Content-Length) is
 * 413 `PAYLOAD_TOO_LARGE`. A body over `MAX_BODY_BYTES`, or one of unknown length (chunked), is read only
 * once the caller's token is verified with the gateway's authenticator: 401 `UNAUTHENTICATED` without a
 * valid token, and, for a Content-Length over `MAX_BODY_BYTES`, 403 `FORBIDDEN` for a token without the
 * write scope (only mutations may be that large). A chunked body is cut (its connection closed) past
 * `MAX_MUTATION_BODY_BYTES`, or past `MAX_BODY_BYTES` when the caller may not write. Smaller bodies with a
 * Content-Length go straight to yoga, which authenticates as before. With `AUTH_MODE=none` every caller
 * may write, so only the sizes count.
 */
export function gateBody(handler: RequestListener, o: BodyGateOptions): RequestListener {
  return (req, res) => {
    const length = Number(req.headers['content-length'] ?? NaN);
    const declared = Number.isFinite(length);
    if (declared && length > o.maxMutationBodyBytes) return tooLarge(req, res, length, o.maxMutationBodyBytes);
    const streamed = !declared && req.headers['transfer-encoding'] !== undefined;
    if (!streamed && !(declared && length > o.maxBodyBytes)) {
      handler(req, res);
      return;
    }
    o.authenticate(authorizationOf(headersOf(req), undefined))
      .then(
        (principal) => {
          // `canWrite` is undefined with AUTH_MODE=none: everyone may write.
          const mayWrite = principal.canWrite !== false;
          if (declared && !mayWrite) {
            refuse(
              req,
              res,
              403,
              'FORBIDDEN',
              `request body larger than ${o.maxBodyBytes} bytes (MAX_BODY_BYTES): only a mutation may be larger, ` +
                `and writes need the "${o.writeScope}" scope in the token's scope or scp claim (JWT_WRITE_SCOPE)`,
            );
            return;
          }
          if (streamed) capStream(req, mayWrite ? o.maxMutationBodyBytes : o.maxBodyBytes);
          handler(req, res);
        },
        (error: unknown) => {
          // The authenticator's refusals are GraphQL errors with a code and yoga's HTTP status and headers.
          const { code, http } = ((error as { extensions?: unknown } | null)?.extensions ?? {}) as {
            code?: unknown;
            http?: { status?: number; headers?: Record<string, string> };
          };
          if (typeof code === 'string')
            refuse(req, res, http?.status ?? 401, code, (error as Error).message, http?.headers ?? {});
          else {
            o.onError?.(error);
            refuse(req, res, 500, 'INTERNAL_SERVER_ERROR', 'Unexpected error.');
          }
        },
      )
      // The handler throwing is as unexpected here as when the server calls it: reported, and the request ended.
      .catch((error: unknown) => {
        o.onError?.(error);
        if (!res.headersSent) refuse(req, res, 500, 'INTERNAL_SERVER_ERROR', 'Unexpected error.');
        else res.destroy();
      });
  };
}
