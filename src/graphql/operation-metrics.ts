import { ServerResponse } from 'node:http';
import type { Plugin } from 'graphql-yoga';
import type { GraphQLContext } from './context.js';
import { isStream, type OperationReport, type OperationWatcher } from './operations.js';

/** What the gateway is told about operations and streams (metrics). */
export interface OperationObserver {
  operation?(report: OperationReport): void;
  /** An SSE stream opened (+1) or closed (-1). */
  sseStream?(delta: 1 | -1): void;
}

/** Tells `observer` the report of every finished operation (requests, errors, durations). */
export function operationMetrics(observer: OperationObserver = {}): OperationWatcher {
  return {
    end(_op, report) {
      observer.operation?.(report);
    },
  };
}

/** Tells `observer` each SSE stream, opened when a subscription over HTTP streams, closed with its response. */
export function useSseStreamCount(observer: OperationObserver = {}): Plugin<GraphQLContext> {
  return {
    onSubscribe({ args }) {
      const res = (args.contextValue as { res?: unknown }).res;
      if (!(res instanceof ServerResponse)) return;
      return {
        onSubscribeResult({ result }) {
          if (!isStream(result) || !observer.sseStream) return;
          observer.sseStream(1);
          res.once('close', () => observer.sseStream?.(-1));
        },
      };
    },
  };
}
