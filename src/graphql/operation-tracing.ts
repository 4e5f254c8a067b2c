import type { OperationSpans } from '../observability/tracing-types.js';
import type { OperationWatcher } from './operations.js';

/**
 * A server span per operation (`tracing.ts`), from the start of its request (WebSocket: of the
 * operation), continuing the caller's `traceparent`. Its scope carries it, so upstream attempts are
 * its children and log lines carry its `traceId` and `spanId`: first of the watchers. It ends with
 * the operation, or when a subscription's stream is open: a stream may live for hours.
 */
export function traceOperations(spans: OperationSpans): OperationWatcher {
  return {
    begin(op, request) {
      op.span = spans.start({
        headers: request?.headers,
        startTime: op.started,
        requestId: op.requestId,
        transport: op.transport === 'ws' ? 'ws' : 'http',
        ...(op.transport === 'http' && request ? { method: request.method } : {}),
      });
    },
    streamOpen(op) {
      if (op.span) spans.end(op.span, op, true);
    },
    end(op) {
      if (op.span && !op.streamOpened) spans.end(op.span, op);
    },
  };
}
