import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { Logger } from 'pino';
import type { ProviderName } from '../domain/batch.js';
import type { OperationSpans } from '../graphql/tracing.js';
import type { AttemptTracer } from '../upstream/tracing.js';

/** The types of tracing (`tracing.ts`), shared with the lazily loaded SDK (`tracing-sdk.ts`). */

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

/** A running tracer provider and the spans the gateway makes with it. */
export interface Tracing {
  /** The server spans of GraphQL operations. */
  operations: OperationSpans;
  /** The client spans of one provider's upstream attempts (`routes`: its OpenAPI path templates). */
  upstream(provider: ProviderName, base: URL, routes?: readonly string[]): AttemptTracer;
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
