import { ServerResponse } from 'node:http';
import type { Span } from '@opentelemetry/api';
import { getOperationAST, type DocumentNode, type ExecutionResult, type GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Logger } from 'pino';
import type { GraphQLContext } from './context.js';
import { fixedKeysLogger } from '../observability/logging.js';
import { REQUEST_ID_HEADER, noteErrorScope, requestIdOf, type RequestScope } from '../observability/request-scope.js';
import { traceFields } from '../observability/tracing.js';
import type { OperationSpans } from '../observability/tracing-types.js';

/** One finished GraphQL operation: the access log line and the request metrics. */
export interface OperationReport {
  requestId: string;
  operationName: string | undefined;
  /** `query`, `mutation`, `subscription`, or `unknown` when the document did not parse or validate. */
  operationType: string;
  transport: 'http' | 'sse' | 'ws';
  durationMs: number;
  /** The HTTP status of the response (absent on WebSocket). */
  status?: number;
  /** `extensions.code` of every error of the result(s), in order (`INTERNAL_SERVER_ERROR` without one). */
  errorCodes: string[];
  /** Upstream calls by provider, from the request budget. */
  upstreamCalls: Record<string, number>;
}

/** What the gateway is told about operations and streams (metrics). */
export interface OperationObserver {
  operation?(report: OperationReport): void;
  /** An SSE stream opened (+1) or closed (-1). */
  sseStream?(delta: 1 | -1): void;
}

interface Entry {
  requestId: string;
  started: number;
  transport: OperationReport['transport'];
  operationName?: string;
  operationType: string;
  errorCodes: string[];
  ctx?: GraphQLContext;
  status?: number;
  streaming?: boolean;
  responded?: boolean;
  ended?: boolean;
  done?: boolean;
  graphql?: boolean;
  /** The operation's server span (tracing on), ended with the response or when a stream opens. */
  span?: Span;
  spanEnded?: boolean;
}

const codeOf = (error: GraphQLError | { extensions?: Record<string, unknown> }): string => {
  const code = error.extensions?.code ?? (error as { originalError?: { code?: unknown } }).originalError?.code;
  return typeof code === 'string' ? code : 'INTERNAL_SERVER_ERROR';
};

const ids = new WeakMap<Request, string>();

/** The id of a request: its valid `x-request-id`, else one made now and kept for the request's lifetime. */
export function requestIdFor(request: Request | undefined): string {
  if (!request) return requestIdOf(undefined);
  let id = ids.get(request);
  if (!id) ids.set(request, (id = requestIdOf(request.headers.get(REQUEST_ID_HEADER))));
  return id;
}

/**
 * An operation's scope, which its upstream calls and execution errors carry. Its logger (the
 * context's, with `traceId` and `spanId` when the span is sampled) is made on first use: most
 * operations log nothing but their access line. A class, not an object literal with a getter: V8
 * keeps a literal with an accessor as a hash table, about 250 bytes more for every live subscription.
 */
class OperationScope implements RequestScope {
  readonly requestId: string;
  readonly span: Span | undefined;
  private logger: Logger | undefined;
  constructor(
    private readonly ctx: GraphQLContext,
    entry: Entry,
  ) {
    this.requestId = ctx.requestId;
    this.span = entry.span;
  }
  get log(): Logger {
    if (!this.logger) {
      const fields = traceFields(this.span);
      this.logger = fields ? this.ctx.log.child(fields) : this.ctx.log;
    }
    return this.logger;
  }
}

const isIterable = (value: unknown): value is AsyncIterable<unknown> =>
  typeof value === 'object' && value !== null && Symbol.asyncIterator in value;

/**
 * Request ids and the access log: every request gets an id (`x-request-id` when valid, else a
 * UUID), echoed on the response; its context carries a pino child with `requestId`; its upstream
 * calls carry the operation's scope (`RequestBudget.context`), and so do its execution errors, which
 * yoga logs. Each operation ends with one info line (`msg: "graphql operation"`);
 * a subscription's when its stream ends, its duration the stream's lifetime. With `spans`,
 * each operation has a server span (`tracing.ts`), the parent of its upstream attempts, and its
 * log lines carry `traceId` and `spanId`.
 */
export function useAccessLog(
  logger: Logger,
  observer: OperationObserver = {},
  spans?: OperationSpans,
): Plugin<GraphQLContext> {
  const entries = new WeakMap<Request, Entry>();
  const access = fixedKeysLogger(logger);
  const endSpan = (entry: Entry, streaming = false) => {
    if (!entry.span || entry.spanEnded) return;
    entry.spanEnded = true;
    spans?.end(entry.span, entry, streaming);
  };
  const finish = (entry: Entry) => {
    if (entry.done || !entry.graphql) return;
    entry.done = true;
    endSpan(entry);
    const report: OperationReport = {
      requestId: entry.requestId,
      operationName: entry.operationName,
      operationType: entry.operationType,
      transport: entry.transport,
      durationMs: Math.round((performance.now() - entry.started) * 10) / 10,
      ...(entry.status !== undefined ? { status: entry.status } : {}),
      errorCodes: entry.errorCodes,
      upstreamCalls: (entry.ctx?.budget.callsByProvider ?? {}) as Record<string, number>,
    };
    // One object of primitives (and the error codes and call counts), in the order a child logger's
    // bindings would put them: requestId, then the trace ids when sampled. Its keys are all ours, so
    // the line skips the redaction walk (`fixedKeysLogger`).
    const trace = traceFields(entry.span);
    access.info(trace ? Object.assign({ requestId: report.requestId }, trace, report) : report, 'graphql operation');
    observer.operation?.(report);
  };
  const collect = (entry: Entry, result: ExecutionResult | undefined) => {
    for (const error of result?.errors ?? []) entry.errorCodes.push(codeOf(error));
  };
  /** Execution errors keep their operation's scope: yoga logs them when it masks them, after this plugin's hooks. */
  const noteErrors = (scope: RequestScope, result: ExecutionResult | undefined) => {
    for (const error of result?.errors ?? []) noteErrorScope(error, scope);
  };
  /**
   * The entry of an operation: made at the HTTP request, or here for a WebSocket operation (one
   * each; the operations of a socket share its `Request`, so theirs are not kept by request).
   */
  const entryOf = (ctx: GraphQLContext, document: DocumentNode, operationName?: string | null): Entry => {
    let entry = ctx.request ? entries.get(ctx.request) : undefined;
    if (!entry) {
      entry = {
        requestId: ctx.requestId,
        started: performance.now(),
        transport: 'ws',
        operationType: 'unknown',
        errorCodes: [],
      };
      if (spans)
        entry.span = spans.start({
          headers: ctx.request?.headers,
          startTime: entry.started,
          requestId: entry.requestId,
          transport: 'ws',
        });
    }
    const operation = getOperationAST(document, operationName);
    entry.graphql = true;
    entry.ctx = ctx;
    entry.operationType = operation?.operation ?? 'unknown';
    entry.operationName = operation?.name?.value ?? operationName ?? entry.operationName;
    return entry;
  };
  return {
    onRequest({ request }) {
      entries.set(request, {
        requestId: requestIdFor(request),
        started: performance.now(),
        transport: 'http',
        operationType: 'unknown',
        errorCodes: [],
      });
    },
    onParams({ params, request }) {
      const entry = entries.get(request);
      if (!entry) return;
      entry.graphql = true;
      entry.operationName = params.operationName ?? undefined;
      if (spans && !entry.span)
        entry.span = spans.start({
          headers: request.headers,
          startTime: entry.started,
          requestId: entry.requestId,
          transport: 'http',
          method: request.method,
        });
    },
    // The document's operation is known once it parses, so one refused by validation is still named.
    onParse({ context }) {
      const request = (context as { request?: Request }).request;
      const entry = request ? entries.get(request) : undefined;
      if (!entry) return;
      return ({ result }) => {
        if (!result || result instanceof Error || !('kind' in result)) return;
        const operation = getOperationAST(result as DocumentNode, entry.operationName);
        if (!operation) return;
        entry.operationType = operation.operation;
        entry.operationName = operation.name?.value ?? entry.operationName;
      };
    },
    onExecute({ args }) {
      const ctx = args.contextValue;
      const entry = entryOf(ctx, args.document, args.operationName);
      const scope = new OperationScope(ctx, entry);
      ctx.budget.context.scope = scope;
      return {
        onExecuteDone({ result }) {
          if (isIterable(result)) return;
          noteErrors(scope, result);
          if (entry.transport !== 'ws') return;
          collect(entry, result);
          finish(entry);
        },
      };
    },
    onSubscribe({ args }) {
      const ctx = args.contextValue;
      const entry = entryOf(ctx, args.document, args.operationName);
      const scope = new OperationScope(ctx, entry);
      ctx.budget.context.scope = scope;
      const res = (ctx as { res?: unknown }).res;
      return {
        onSubscribeResult({ result }) {
          if (!isIterable(result)) {
            noteErrors(scope, result);
            if (entry.transport === 'ws') {
              collect(entry, result);
              finish(entry);
            }
            return;
          }
          entry.streaming = true;
          if (entry.transport !== 'ws') entry.transport = 'sse';
          // A stream may live for hours: its span covers the subscribe, up to the stream's opening.
          else endSpan(entry, true);
          if (res instanceof ServerResponse && observer.sseStream) {
            observer.sseStream(1);
            res.once('close', () => observer.sseStream?.(-1));
          }
          return {
            onNext({ result: next }) {
              noteErrors(scope, next as ExecutionResult);
              collect(entry, next as ExecutionResult);
            },
            onEnd() {
              entry.ended = true;
              if (entry.transport === 'ws' || entry.responded) finish(entry);
            },
          };
        },
      };
    },
    onResultProcess({ request, result }) {
      const entry = entries.get(request);
      if (!entry || entry.streaming || isIterable(result)) return;
      for (const r of Array.isArray(result) ? result : [result]) collect(entry, r as ExecutionResult);
    },
    onResponse({ request, response }) {
      const entry = entries.get(request);
      if (!entry) return;
      response.headers.set(REQUEST_ID_HEADER, entry.requestId);
      entry.status = response.status;
      entry.responded = true;
      if (!entry.streaming || entry.ended) finish(entry);
      else endSpan(entry, true);
    },
  };
}
