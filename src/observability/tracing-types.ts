import type { Span, Tracer } from '@opentelemetry/api';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { Logger } from 'pino';
import type { RequestScope } from './request-scope.js';

/**
 * The types of tracing (`tracing.ts`), shared with the lazily loaded SDK (`tracing-sdk.ts`), and the span
 * interfaces the layers implement over `Tracing.tracer`: the server spans of operations (`graphql/tracing.ts`)
 * and the client spans of upstream attempts (`upstream/tracing.ts`).
 */

/** The samplers of `OTEL_TRACES_SAMPLER` (the OpenTelemetry SDK's names). */
export type SamplerName =
  | 'always_on'
  | 'always_off'
  | 'traceidratio'
  | 'parentbased_always_on'
  | 'parentbased_always_off'
  | 'parentbased_traceidratio';

/** The tracing settings (`OTEL_*`). */
export interface TracingSettings {
  /** Where spans are POSTed (OTLP/HTTP, JSON); undefined: tracing is off. */
  endpoint: string | undefined;
  serviceName: string;
  sampler: SamplerName;
  /** The ratio of the `*traceidratio` samplers, 0 to 1. */
  samplerRatio: number;
  /** `OTEL_RESOURCE_ATTRIBUTES`: more resource attributes (`deployment.environment.name=prod`…). */
  resourceAttributes: Record<string, string>;
}

/** A running tracer provider: the layers make their spans with its tracer. */
export interface Tracing {
  /** This gateway's own tracer (nothing is registered globally). */
  tracer: Tracer;
  /** Exports what is buffered now. */
  forceFlush(): Promise<void>;
  /** Exports what is buffered and stops (the end of a shutdown). */
  shutdown(): Promise<void>;
}

/** How tracing is started beside its settings. */
export interface TracingOptions {
  /** Spans go here, each as it ends, instead of to the OTLP endpoint (tests: `InMemorySpanExporter`). */
  exporter?: SpanExporter;
  /** `service.instance.id` (`INSTANCE_ID`). */
  instanceId?: string;
  /** Where failed exports are reported (one warning a minute at most). */
  logger?: Logger;
}

/** What the operation tracker knows of an operation when its span ends. */
export interface TracedOperation {
  operationType: string;
  operationName?: string | undefined;
  /** The HTTP status (absent on WebSocket). */
  status?: number;
  errorCodes: readonly string[];
}

/** How an operation's span starts. */
export interface OperationStart {
  headers: Headers | undefined;
  /** `performance.now()` at the start of the request. */
  startTime: number;
  requestId: string;
  transport: 'http' | 'ws';
  method?: string;
}

/** The server spans of GraphQL operations (the tracing watcher of the operation tracker calls them). */
export interface OperationSpans {
  start(options: OperationStart): Span;
  end(span: Span, op: TracedOperation, streaming?: boolean): void;
}

/** Where an upstream attempt comes from: its traffic class and, for an operation's call, the operation's scope. */
interface AttemptOrigin {
  readonly traffic?: string;
  readonly scope?: RequestScope | undefined;
}

/** Starts the span of one attempt and writes its `traceparent` into the attempt's `headers`. */
export type AttemptTracer = (
  method: string,
  path: string,
  headers: Record<string, string>,
  call?: AttemptOrigin,
) => AttemptSpan;

/** One upstream attempt's span, ended with its outcome. */
interface AttemptSpan {
  /** The attempt answered `status` (2xx). */
  ok(status: number): void;
  /** The attempt failed with `error`; `aborted`: the caller left, which is no failure of the provider. */
  failed(error: unknown, aborted: boolean): void;
}
