/**
 * The raw layer of the upstream stack (`stack.ts` composes the budget, then the policy, then this):
 * one undici request per attempt, with no budget, retry, breaker or bulkhead of its own. It owns the
 * provider's Pool, reads and caps every body, and turns what undici throws into `GatewayError`s and
 * `UpstreamHttpError`s. Control flows one way, into it: it imports neither the policy nor the budget,
 * and what the layers above want to know of each response reaches them through `onResponse`, which
 * they hand it.
 */
import { Pool, errors as undiciErrors } from 'undici';
import type { ProviderName } from '../domain/batch.js';
import { ErrorCode, GatewayError } from '../domain/errors.js';
import {
  UpstreamHttpError,
  isDeadlineHit,
  markMayHaveBeenSent,
  type UpstreamBody,
  type UpstreamCall,
  type UpstreamHttp,
  type UpstreamMethod,
} from './types.js';
import { encodeBody } from './request-body.js';
import { parseRetryAfter } from './retry-after.js';
import type { Tracing } from '../observability/tracing-types.js';
import { upstreamTracing } from './tracing.js';
import type { UpstreamLimits } from './limits.js';

/**
 * Connection and size limits of one provider's HTTP pool: every one required, from `UpstreamLimits` (the
 * configuration's `UPSTREAM_*`, the only place their defaults live).
 */
export interface RawHttpOptions extends Pick<
  UpstreamLimits,
  | 'connections'
  | 'keepAliveMs'
  | 'connectTimeoutMs'
  | 'headersTimeoutMs'
  | 'bodyTimeoutMs'
  | 'deadlineMs'
  | 'maxResponseBytes'
> {
  provider: ProviderName;
  /** Server URL from the provider's OpenAPI `servers` (a path prefix is kept). */
  baseUrl: string;
  /** Headers sent on every request (auth). */
  headers: Record<string, string>;
  /** Sent as `user-agent`, naming this gateway instance to the provider's logs. */
  userAgent: string;
  /** Where the provider's error body says how long to wait (ms), for when there is no Retry-After header. */
  retryAfterFromBody?: (body: unknown) => number | undefined;
  /** Told every response's status and headers (the budget reads `X-RateLimit-*`). */
  onResponse?: (status: number, headers: Record<string, string | string[] | undefined>, retryAfterMs?: number) => void;
  /** With tracing on: every attempt is a client span and sends `traceparent` (`tracing.ts`). @default off */
  tracing?: Tracing;
  /** The provider's routes as OpenAPI path templates (`/v1/batch/{id}`), naming the spans. */
  routes?: readonly string[];
}

/**
 * Creates the undici Pool for one provider: one attempt per call. Every response body is consumed
 * or destroyed (a leaked body pins a pooled socket), bodies are capped, and transport failures
 * become `GatewayError`s naming the provider, with no URL in the message.
 */
export function createRawHttp(options: RawHttpOptions): UpstreamHttp {
  const base = new URL(options.baseUrl);
  const prefix = base.pathname.replace(/\/+$/, '');
  const maxBytes = options.maxResponseBytes;
  const deadlineMs = options.deadlineMs;
  const pool = new Pool(base.origin, {
    connections: options.connections,
    connectTimeout: options.connectTimeoutMs,
    headersTimeout: options.headersTimeoutMs,
    bodyTimeout: options.bodyTimeoutMs,
    // An idle socket is kept this long: undici's default when the server sends no Keep-Alive hint, and the
    // cap on the hint when it does (a shorter hint, less 1 s, still wins).
    keepAliveTimeout: options.keepAliveMs,
    keepAliveMaxTimeout: options.keepAliveMs,
  });
  const provider = options.provider;
  const traceAttempt = options.tracing && upstreamTracing(options.tracing.tracer, provider, base, options.routes);

  async function request(
    method: UpstreamMethod,
    path: string,
    query: Record<string, string | undefined> = {},
    signal?: AbortSignal,
    headers: Record<string, string> = {},
    body?: UpstreamBody,
    call?: UpstreamCall,
  ): Promise<unknown> {
    const search = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined) search.set(k, v);
    const qs = search.toString();
    const encoded = body ? encodeBody(body) : undefined;
    const sent = {
      accept: 'application/json',
      'user-agent': options.userAgent,
      ...options.headers,
      ...headers,
      ...(encoded ? { 'content-type': encoded.contentType } : {}),
    };
    const target = prefix + path + (qs ? `?${qs}` : '');
    // undici keeps a pool slot for good when it refuses a header or a path itself: refuse them here first.
    checkHeaders(provider, sent);
    checkPath(provider, target);
    const span = traceAttempt?.(method, path, sent, call);
    // From here the request is the connection's: a failure may come after the provider received it.
    let handedOver = false;
    // No deadline of its own: the policy's (`policy.ts`) starts before this attempt and lasts as
    // long, so it always fires first; it aborts `signal`, and undici's own connect, headers and
    // body timeouts bound the wire.
    try {
      handedOver = true;
      const res = await pool.request({
        method,
        path: target,
        headers: sent,
        signal,
        ...(encoded ? { body: encoded.body } : {}),
      });
      const text = await readCapped(res.body, maxBytes, provider, res.statusCode);
      const json = parseJson(text);
      const ok = res.statusCode >= 200 && res.statusCode < 300;
      // How long the provider asks to wait, read once for every non-2xx answer.
      const retryAfterMs = ok
        ? undefined
        : (parseRetryAfter(res.headers['retry-after']) ?? options.retryAfterFromBody?.(json));
      options.onResponse?.(res.statusCode, res.headers, retryAfterMs);
      if (ok) {
        if (json === undefined) {
          throw new GatewayError(
            ErrorCode.PROVIDER_BAD_RESPONSE,
            `${provider} sent a response that is not valid JSON`,
            {
              provider,
              upstreamStatus: res.statusCode,
            },
          );
        }
        span?.ok(res.statusCode);
        return json;
      }
      throw new UpstreamHttpError(res.statusCode, json, retryAfterMs);
    } catch (error) {
      const known = error instanceof GatewayError || error instanceof UpstreamHttpError;
      const reason: unknown = signal?.aborted ? signal.reason : undefined;
      // The deadline's abort reaches undici as its reason, a GatewayError, but the attempt was still cut off.
      const aborted = signal?.aborted === true && (!known || (error === reason && isDeadlineHit(reason)));
      const failure = aborted ? (reason ?? error) : known ? error : transportError(provider, error, deadlineMs);
      span?.failed(failure, aborted);
      // An attempt cut off by its call's deadline fails with the deadline's error, whatever it was doing.
      const thrown = isDeadlineHit(reason) ? reason : failure;
      if (handedOver && !(error instanceof UpstreamHttpError)) markMayHaveBeenSent(thrown, error);
      throw thrown;
    }
  }

  return { request, close: () => pool.close() };
}

/** RFC 9110 `token` (a header name). */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** A field value this gateway sends: visible ASCII, space and tab inside, nothing at the ends. */
const FIELD_VALUE = /^(?:[\x21-\x7e](?:[\x20-\x7e\t]*[\x21-\x7e])?)?$/;

/**
 * Validates every header before undici sees it. A bad one fails the call locally with
 * `UPSTREAM_REQUEST_REFUSED` (never a provider fault: no retry, no breaker count) and takes no
 * pool slot. The message names the header, never its value.
 */
function checkHeaders(provider: ProviderName, headers: Record<string, string>): void {
  for (const [name, value] of Object.entries(headers)) {
    if (!TOKEN.test(name)) {
      throw new GatewayError(
        ErrorCode.UPSTREAM_REQUEST_REFUSED,
        `${provider} request refused before sending: a header name is not a valid HTTP token`,
        { provider },
      );
    }
    if (TRANSPORT_HEADERS.has(name.toLowerCase())) {
      throw new GatewayError(
        ErrorCode.UPSTREAM_REQUEST_REFUSED,
        `${provider} request refused before sending: header "${name}" is the transport's own`,
        { provider },
      );
    }
    if (typeof value !== 'string' || !FIELD_VALUE.test(value)) {
      throw new GatewayError(
        ErrorCode.UPSTREAM_REQUEST_REFUSED,
        `${provider} request refused before sending: header "${name}" has a value that is not valid in HTTP`,
        { provider },
      );
    }
  }
}

/**
 * Headers undici manages or refuses itself (with the same slot leak): the gateway never sets
 * them, so one showing up is refused here.
 */
const TRANSPORT_HEADERS = new Set([
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'upgrade',
  'expect',
]);

/** An origin-form request target undici accepts: visible ASCII only (callers percent-encode). */
const REQUEST_TARGET = /^\/[\x21-\x7e]*$/;

/**
 * Validates the request target before undici sees it (undici refuses a path with a space or a
 * control character the same way, keeping the slot). Adapters build paths with
 * `encodeURIComponent` and queries with `URLSearchParams`, so this never fires today; it is
 * there for the next caller that forgets.
 */
function checkPath(provider: ProviderName, target: string): void {
  if (!REQUEST_TARGET.test(target) || target.includes('#')) {
    throw new GatewayError(
      ErrorCode.UPSTREAM_REQUEST_REFUSED,
      `${provider} request refused before sending: the request path is not valid in HTTP`,
      { provider },
    );
  }
}

async function readCapped(
  body: AsyncIterable<Buffer> & { destroy(err?: Error): void },
  maxBytes: number,
  provider: ProviderName,
  status: number,
): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > maxBytes) {
      body.destroy();
      throw new GatewayError(
        ErrorCode.PROVIDER_BAD_RESPONSE,
        `${provider} sent a response larger than ${maxBytes} bytes`,
        { provider, upstreamStatus: status },
      );
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseJson(text: string): unknown {
  if (text.length === 0) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

function transportError(provider: ProviderName, error: unknown, deadlineMs: number): GatewayError {
  const code = (error as { code?: string } | null)?.code;
  if (code !== undefined && TIMEOUT_CODES.has(code)) {
    return new GatewayError(
      ErrorCode.PROVIDER_TIMEOUT,
      `${provider} did not answer in time (deadline ${deadlineMs} ms)`,
      {
        provider,
        cause: error,
      },
    );
  }
  if (error instanceof undiciErrors.ResponseExceededMaxSizeError) {
    return new GatewayError(ErrorCode.PROVIDER_BAD_RESPONSE, `${provider} sent an oversized response`, {
      provider,
      cause: error,
    });
  }
  return new GatewayError(ErrorCode.PROVIDER_UNAVAILABLE, `${provider} is unreachable or dropped the connection`, {
    provider,
    cause: error,
  });
}
