import { ROOT_CONTEXT, trace, type Context, type Span, type TextMapGetter } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';

/** W3C Trace Context (`traceparent`, `tracestate`) in and out of the gateway; loaded only with tracing on. */
const propagator = new W3CTraceContextPropagator();

const headersGetter: TextMapGetter<Headers> = {
  get: (headers, key) => headers.get(key) ?? undefined,
  keys: (headers) => [...headers.keys()],
};

/** The caller's trace from a request's `traceparent`/`tracestate`, else the root (a new trace). */
export function callerContext(headers: Headers | undefined): Context {
  return headers ? propagator.extract(ROOT_CONTEXT, headers, headersGetter) : ROOT_CONTEXT;
}

/** Writes `traceparent` (and `tracestate`) of `span` into `headers`. */
export function injectTraceContext(span: Span, headers: Record<string, string>): void {
  propagator.inject(trace.setSpan(ROOT_CONTEXT, span), headers, {
    set: (carrier, key, value) => {
      carrier[key] = value;
    },
  });
}
