import { SpanKind, SpanStatusCode, type Span, type Tracer } from '@opentelemetry/api';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_URL_PATH,
} from '@opentelemetry/semantic-conventions';
import { callerContext } from '../observability/trace-context.js';
import type { OperationSpans, OperationStart, TracedOperation } from '../observability/tracing-types.js';

/** Attributes of the GraphQL semantic conventions (still incubating, so named here). */
const ATTR_GRAPHQL_OPERATION_NAME = 'graphql.operation.name';
const ATTR_GRAPHQL_OPERATION_TYPE = 'graphql.operation.type';

/** The server spans of `tracer`. */
export function operationSpans(tracer: Tracer): OperationSpans {
  return { start: (options) => startOperationSpan(tracer, options), end: endOperationSpan };
}

/**
 * Starts the server span of one GraphQL operation (an HTTP request, or one operation of a
 * WebSocket connection), continuing the caller's trace when `headers` carry a valid `traceparent`.
 * Named `graphql` until the operation is known (`endOperationSpan` renames it).
 */
function startOperationSpan(tracer: Tracer, options: OperationStart): Span {
  return tracer.startSpan(
    'graphql',
    {
      kind: SpanKind.SERVER,
      startTime: options.startTime,
      attributes: {
        [ATTR_HTTP_ROUTE]: '/graphql',
        [ATTR_URL_PATH]: '/graphql',
        ...(options.method ? { [ATTR_HTTP_REQUEST_METHOD]: options.method } : {}),
        'batchql.request_id': options.requestId,
        'batchql.transport': options.transport,
      },
    },
    callerContext(options.headers),
  );
}

/**
 * Ends an operation's span, named `<type> <name>` (`query BatchStatus`; `query` when anonymous;
 * `GraphQL Operation` when the document did not parse), as the GraphQL semantic conventions say.
 * Any error of the result sets status ERROR, with the error codes as the description (never a
 * message, which could carry anything). A subscription's span ends when its stream is open, not
 * when the stream ends: `streaming` marks it.
 */
function endOperationSpan(span: Span, op: TracedOperation, streaming = false): void {
  const known = op.operationType !== 'unknown';
  span.updateName(
    known ? (op.operationName ? `${op.operationType} ${op.operationName}` : op.operationType) : 'GraphQL Operation',
  );
  if (known) span.setAttribute(ATTR_GRAPHQL_OPERATION_TYPE, op.operationType);
  if (op.operationName) span.setAttribute(ATTR_GRAPHQL_OPERATION_NAME, op.operationName);
  if (op.status !== undefined) span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, op.status);
  if (streaming) span.setAttribute('batchql.stream', true);
  const codes = [...new Set(op.errorCodes)];
  if (codes.length > 0 || (op.status ?? 0) >= 500) {
    const description = codes.length > 0 ? codes.join(',') : `HTTP ${op.status}`;
    span.setAttributes({ [ATTR_ERROR_TYPE]: codes[0] ?? String(op.status), 'batchql.error_codes': codes });
    span.setStatus({ code: SpanStatusCode.ERROR, message: description });
  }
  span.end();
}
