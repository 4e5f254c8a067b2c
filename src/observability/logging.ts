import { destination as pinoDestination, pino, type DestinationStream, type Logger } from 'pino';
import type { YogaLogger } from 'graphql-yoga';
import { GatewayError } from '../domain/errors.js';
import { errorLogger } from './request-scope.js';

/** Log levels batchql accepts in `LOG_LEVEL`. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Header and field names whose values never reach a log line (providers add their own headers). */
const REDACT = [
  'authorization',
  'apikey',
  'secretkey',
  'cookie',
  'token',
  '*.authorization',
  '*.apikey',
  '*.secretkey',
  '*.token',
  '*.headers.authorization',
  '*.headers.cookie',
];

/**
 * Errors become `{type, code, provider, upstreamStatus, message}`: gateway messages are written
 * to be safe; upstream bodies, URLs and causes stay out. The stack is added at debug level only.
 */
function serializeError(error: unknown, withStack: boolean): Record<string, unknown> {
  if (!(error instanceof Error)) return { type: typeof error };
  const original = (error as { originalError?: unknown }).originalError;
  const inner = original instanceof Error ? original : error;
  const out: Record<string, unknown> = { type: inner.name };
  if (inner instanceof GatewayError) {
    Object.assign(out, {
      code: inner.code,
      provider: inner.provider,
      upstreamStatus: inner.upstreamStatus,
      message: inner.message,
    });
  } else {
    // Unknown errors may carry anything: only their class is logged unless debugging.
    if (withStack) out.message = inner.message;
  }
  if (withStack && inner.stack) out.stack = inner.stack;
  return out;
}

/**
 * Creates the process logger: JSON lines on stdout unless `destination` is given. Stdout is written
 * asynchronously unless `sync`: a line is queued and written on the next turn, and the lines queued
 * meanwhile go out in one write, so a busy gateway makes one write call per batch of access lines
 * instead of one per line (a blocking `write` per line was about a tenth of the CPU under load).
 * pino flushes what is queued when the process exits, and `runtime.ts` flushes at shutdown.
 */
export function createLogger(
  level: LogLevel,
  destination: DestinationStream | undefined,
  sync: boolean,
  /** More header names never logged (`ProviderDefinition.sensitiveHeaders`). */
  sensitiveHeaders: readonly string[] = [],
): Logger {
  const debug = level === 'debug';
  return pino(
    {
      level,
      base: { service: 'batchql' },
      redact: { paths: [...REDACT, ...sensitiveHeaders], censor: '[redacted]' },
      serializers: { err: (e: unknown) => serializeError(e, debug) },
    },
    destination ?? pinoDestination({ dest: 1, sync }),
  );
}

/**
 * The same logger without pino's redaction, for lines whose every key is the gateway's own (the
 * access log: ids, names, numbers, error codes, provider names), never a header, a body or an
 * object from a client or an upstream. No redaction path can match such a line, so the bytes are
 * the same; the redaction walk costs about 8 µs a line, more than the rest of the line.
 */
export function fixedKeysLogger(logger: Logger): Logger {
  return logger.child({}, { redact: [] });
}

/** Adapts pino to yoga's logger, sanitising every error yoga reports. */
export function yogaLogger(logger: Logger): YogaLogger {
  const debug = logger.level === 'debug';
  const emit =
    (level: 'debug' | 'info' | 'warn' | 'error') =>
    (...args: unknown[]) => {
      const errors = args.filter((a): a is Error => a instanceof Error);
      const text = args.filter((a) => typeof a === 'string').join(' ');
      if (errors.length > 0) {
        const e = errors[0]!;
        const inner = (e as { originalError?: unknown }).originalError ?? e;
        // A client's bad input or a missing batch is not the gateway's problem: debug only.
        // Upstream failures are warnings; anything else is an error.
        const known = inner instanceof GatewayError;
        const clientSide =
          known &&
          ['BAD_USER_INPUT', 'NOT_FOUND', 'UNAUTHENTICATED', 'FORBIDDEN', 'TOO_MANY_SUBSCRIPTIONS'].includes(
            inner.code,
          );
        // A request yoga refused for the client's reason (a body that is not JSON: HTTP 4xx) is the client's too;
        // its access line says so at info.
        const status = (e as { extensions?: { http?: { status?: unknown } } }).extensions?.http?.status;
        const refusedRequest = !known && typeof status === 'number' && status >= 400 && status < 500;
        const at = clientSide || refusedRequest ? 'debug' : known ? 'warn' : level;
        // An operation's error carries its requestId (noted by the operation's scope before yoga masks it).
        errorLogger(e, logger)[at]({ err: e }, text || 'request failed');
      } else if (debug || level !== 'debug') logger[level](text || 'yoga');
    };
  return { debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error') };
}

/** Exposed for tests. */
export {};

/**
 * A URL as logged (a database, an OTLP endpoint): scheme, host, port and path, never a user, password or query;
 * `fallback` when it is not a URL.
 */
export function urlForLog(url: string, fallback = 'the configured address'): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return fallback;
  }
}
