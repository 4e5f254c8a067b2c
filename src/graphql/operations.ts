import type { Span } from '@opentelemetry/api';
import { getOperationAST, type DocumentNode, type ExecutionResult, type GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { GraphQLContext } from './context.js';
import { requestIdFor } from './request-id.js';
import type { RequestScope } from '../observability/request-scope.js';

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

/**
 * One GraphQL operation as its watchers see it: an HTTP request's (a query, a mutation, or a
 * subscription over SSE), or one of a WebSocket's operations, each its own though they share the
 * socket's `Request`.
 */
interface Operation {
  requestId: string;
  /** `performance.now()` when the request came in (WebSocket: when the operation executed). */
  started: number;
  transport: OperationReport['transport'];
  operationName?: string;
  /** `unknown` until its document parses. */
  operationType: string;
  /** The codes of its results' errors so far (`OperationReport.errorCodes`). */
  errorCodes: string[];
  /** The HTTP status, once the response is out (absent on WebSocket). */
  status?: number;
  /** Its answer is out and a stream goes on: watchers were told `streamOpen`. */
  streamOpened?: boolean;
  /** Its server span, when tracing is on (`operation-tracing.ts`). */
  span?: Span;
  /** Its scope, once it executes (`operation-scope.ts`). */
  scope?: RequestScope;
}

/**
 * One job done over every operation (its span, its scope, its access line, its metrics), told of
 * the operation's life in this order: `begin`; `execute` as it executes or subscribes; `result` for
 * each result (a stream's: each event); `streamOpen`, at most once, when its answer is out and a
 * stream goes on; `end`, once, when it is over (a subscription: when its stream ends). Watchers are
 * told in their order, so one sees what those before it set (the scope carries the span).
 */
export interface OperationWatcher {
  /** A GraphQL operation starts: its request's params are read (HTTP), or it executes (WebSocket). */
  begin?(op: Operation, request: Request | undefined): void;
  /** It executes or subscribes, with `ctx`. */
  execute?(op: Operation, ctx: GraphQLContext): void;
  /** One result of its execution (yoga masks and logs its errors after these hooks). */
  result?(op: Operation, result: ExecutionResult): void;
  /** Its answer is out (WebSocket: its stream is open; SSE: its response is) and a stream goes on. */
  streamOpen?(op: Operation): void;
  /** It is over: `report` is the access line and the metrics. */
  end?(op: Operation, report: OperationReport): void;
}

/** What the tracker keeps of an operation beside what its watchers see. */
interface Entry extends Operation {
  /** Its context, once it executes (the budget counts its upstream calls). */
  ctx?: GraphQLContext;
  /** Its result is a stream. */
  streaming?: boolean;
  /** Its HTTP response is out. */
  responded?: boolean;
  /** Its stream has ended. */
  ended?: boolean;
  /** Its watchers were told `end`. */
  done?: boolean;
  /** Its params were read (HTTP) or it executes: a request that never gets there is no operation. */
  graphql?: boolean;
}

const codeOf = (error: GraphQLError | { extensions?: Record<string, unknown> }): string => {
  const code = error.extensions?.code ?? (error as { originalError?: { code?: unknown } }).originalError?.code;
  return typeof code === 'string' ? code : 'INTERNAL_SERVER_ERROR';
};

/** A result that is a stream (a subscription's). */
export const isStream = (value: unknown): value is AsyncIterable<unknown> =>
  typeof value === 'object' && value !== null && Symbol.asyncIterator in value;

/**
 * Tracks every GraphQL operation from its request (or, on a WebSocket, its execution) to its end
 * and tells `watchers`: an HTTP operation ends with its response, a subscription over SSE when both
 * its response is out and its stream has ended, a WebSocket operation when its result is out or
 * its stream has ended. Its name and type are known once its document parses, so one refused by
 * validation is still named; its error codes are those of every result that went out.
 */
export function useOperations(watchers: readonly OperationWatcher[]): Plugin<GraphQLContext> {
  const entries = new WeakMap<Request, Entry>();
  const tellBegin = (entry: Entry, request: Request | undefined) => {
    for (const w of watchers) w.begin?.(entry, request);
  };
  const tellExecute = (entry: Entry, ctx: GraphQLContext) => {
    for (const w of watchers) w.execute?.(entry, ctx);
  };
  const tellResult = (entry: Entry, result: ExecutionResult) => {
    for (const w of watchers) w.result?.(entry, result);
  };
  const tellStreamOpen = (entry: Entry) => {
    entry.streamOpened = true;
    for (const w of watchers) w.streamOpen?.(entry);
  };
  const finish = (entry: Entry) => {
    if (entry.done || !entry.graphql) return;
    entry.done = true;
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
    for (const w of watchers) w.end?.(entry, report);
  };
  const collect = (entry: Entry, result: ExecutionResult | undefined) => {
    for (const error of result?.errors ?? []) entry.errorCodes.push(codeOf(error));
  };
  /**
   * The entry of an operation that executes, its watchers told so: made at the HTTP request, or here
   * for a WebSocket operation (one each; the operations of a socket share its `Request`, so theirs
   * are not kept by request).
   */
  const executing = (ctx: GraphQLContext, document: DocumentNode, operationName?: string | null): Entry => {
    let entry = ctx.request ? entries.get(ctx.request) : undefined;
    if (!entry) {
      entry = {
        requestId: ctx.requestId,
        started: performance.now(),
        transport: 'ws',
        operationType: 'unknown',
        errorCodes: [],
      };
      tellBegin(entry, ctx.request);
    }
    const operation = getOperationAST(document, operationName);
    entry.graphql = true;
    entry.ctx = ctx;
    entry.operationType = operation?.operation ?? 'unknown';
    entry.operationName = operation?.name?.value ?? operationName ?? entry.operationName;
    tellExecute(entry, ctx);
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
      entry.operationName = params.operationName ?? undefined;
      if (entry.graphql) return;
      entry.graphql = true;
      tellBegin(entry, request);
    },
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
      const entry = executing(args.contextValue, args.document, args.operationName);
      return {
        onExecuteDone({ result }) {
          if (isStream(result)) return;
          tellResult(entry, result);
          if (entry.transport !== 'ws') return;
          collect(entry, result);
          finish(entry);
        },
      };
    },
    onSubscribe({ args }) {
      const entry = executing(args.contextValue, args.document, args.operationName);
      return {
        onSubscribeResult({ result }) {
          if (!isStream(result)) {
            tellResult(entry, result);
            if (entry.transport === 'ws') {
              collect(entry, result);
              finish(entry);
            }
            return;
          }
          entry.streaming = true;
          if (entry.transport !== 'ws') entry.transport = 'sse';
          else tellStreamOpen(entry);
          return {
            onNext({ result: next }) {
              tellResult(entry, next as ExecutionResult);
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
      if (!entry || entry.streaming || isStream(result)) return;
      // Refused before its params could be read (a body that is not JSON): still an operation, with its
      // access line and request id, of type `unknown`.
      if (!entry.graphql) {
        entry.graphql = true;
        tellBegin(entry, request);
      }
      for (const r of Array.isArray(result) ? result : [result]) collect(entry, r as ExecutionResult);
    },
    onResponse({ request, response }) {
      const entry = entries.get(request);
      if (!entry) return;
      entry.status = response.status;
      entry.responded = true;
      if (!entry.streaming || entry.ended) finish(entry);
      else tellStreamOpen(entry);
    },
  };
}
