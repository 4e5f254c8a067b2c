import {
  ROOT_CONTEXT,
  TraceFlags,
  trace,
  type Context,
  type Span,
  type TextMapGetter,
  type Tracer,
} from '@opentelemetry/api';
import { ExportResultCode, W3CTraceContextPropagator, type ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  SimpleSpanProcessor,
  TraceIdRatioBasedSampler,
  type ReadableSpan,
  type Sampler,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_INSTANCE_ID, ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import type { Logger } from 'pino';
import { env, fragment } from './settings.js';

/**
 * OpenTelemetry tracing (README, Operations → Tracing): one server span per GraphQL operation
 * (`graphql/tracing.ts`), one client span per upstream attempt (`providers/tracing.ts`), W3C
 * `traceparent` in and out. The SDK is this gateway's own (nothing is registered globally), so
 * two gateways in one process trace independently. Off (no tracer, no span, no header) unless an
 * OTLP endpoint is configured.
 */

/** The samplers of `OTEL_TRACES_SAMPLER` (the OpenTelemetry SDK's names). */
export const SAMPLERS = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;
export type SamplerName = (typeof SAMPLERS)[number];

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

/** An `http(s)` URL, or undefined when unset. */
const endpointVariable = () =>
  env.custom((raw, refuse): string | undefined => {
    if (raw === undefined) return undefined;
    const url = URL.canParse(raw) ? new URL(raw) : undefined;
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:'))
      return refuse('must be an http:// or https:// URL of an OTLP/HTTP endpoint');
    return raw;
  });

/**
 * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` (the traces URL, as is) or `OTEL_EXPORTER_OTLP_ENDPOINT`
 * (a base URL, `/v1/traces` appended, as the OpenTelemetry specification says); without either,
 * or with `OTEL_SDK_DISABLED=true`, tracing is off. `OTEL_SERVICE_NAME` (`batchql`),
 * `OTEL_TRACES_SAMPLER` (`parentbased_always_on`), `OTEL_TRACES_SAMPLER_ARG` (1) and
 * `OTEL_RESOURCE_ATTRIBUTES` (`key=value,…`, values percent-decoded).
 */
export const tracingSettings = fragment(
  {
    OTEL_SDK_DISABLED: env.bool(false),
    OTEL_EXPORTER_OTLP_ENDPOINT: endpointVariable(),
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: endpointVariable(),
    OTEL_SERVICE_NAME: env.text(),
    OTEL_TRACES_SAMPLER: env.oneOf(SAMPLERS, 'parentbased_always_on'),
    OTEL_TRACES_SAMPLER_ARG: env.number(1, 0, 1),
    OTEL_RESOURCE_ATTRIBUTES: env.custom((raw, refuse): Record<string, string> => {
      const out: Record<string, string> = {};
      for (const pair of (raw ?? '').split(',').filter((p) => p.trim() !== '')) {
        const at = pair.indexOf('=');
        const key = at > 0 ? pair.slice(0, at).trim() : '';
        if (!key) return refuse(`has "${pair.trim()}", which is not key=value`);
        try {
          out[key] = decodeURIComponent(pair.slice(at + 1).trim());
        } catch {
          return refuse(`has a value for "${key}" that is not valid percent-encoding`);
        }
      }
      return out;
    }),
  },
  (v): TracingSettings => {
    const base = v.OTEL_EXPORTER_OTLP_ENDPOINT;
    const endpoint =
      v.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? (base ? `${base.replace(/\/+$/, '')}/v1/traces` : undefined);
    return {
      endpoint: v.OTEL_SDK_DISABLED ? undefined : endpoint,
      serviceName: v.OTEL_SERVICE_NAME ?? 'batchql',
      sampler: v.OTEL_TRACES_SAMPLER,
      samplerRatio: v.OTEL_TRACES_SAMPLER_ARG,
      resourceAttributes: v.OTEL_RESOURCE_ATTRIBUTES,
    };
  },
);

/** Tracing off: the settings of an environment without `OTEL_*`. */
export const TRACING_OFF: TracingSettings = {
  endpoint: undefined,
  serviceName: 'batchql',
  sampler: 'parentbased_always_on',
  samplerRatio: 1,
  resourceAttributes: {},
};

function samplerOf(name: SamplerName, ratio: number): Sampler {
  const root = name.endsWith('always_off')
    ? new AlwaysOffSampler()
    : name.endsWith('traceidratio')
      ? new TraceIdRatioBasedSampler(ratio)
      : new AlwaysOnSampler();
  return name.startsWith('parentbased_') ? new ParentBasedSampler({ root }) : root;
}

/** A running tracer provider. */
export interface Tracing {
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

/**
 * The tracer of one gateway, or undefined when tracing is off (no endpoint and no exporter given).
 * OTLP export is batched (`BatchSpanProcessor`; the SDK's `OTEL_BSP_*` and the exporter's
 * `OTEL_EXPORTER_OTLP_HEADERS`/`_TIMEOUT`/`_COMPRESSION` are read by the SDK from the process
 * environment); an injected exporter gets each span as it ends.
 */
export function createTracing(settings: TracingSettings, options: TracingOptions = {}): Tracing | undefined {
  if (!options.exporter && !settings.endpoint) return undefined;
  const processor = options.exporter
    ? new SimpleSpanProcessor(options.exporter)
    : new BatchSpanProcessor(reportingFailures(new OTLPTraceExporter({ url: settings.endpoint }), options.logger));
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({
      ...settings.resourceAttributes,
      [ATTR_SERVICE_NAME]: settings.serviceName,
      [ATTR_SERVICE_VERSION]: '0.1.0',
      ...(options.instanceId ? { [ATTR_SERVICE_INSTANCE_ID]: options.instanceId } : {}),
    }),
    sampler: samplerOf(settings.sampler, settings.samplerRatio),
    spanProcessors: [processor],
  });
  return {
    tracer: provider.getTracer('batchql', '0.1.0'),
    forceFlush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
}

/** An exporter whose failures are logged (the SDK's diagnostics are off): the reason's class and code, never a URL. */
function reportingFailures(exporter: SpanExporter, logger: Logger | undefined): SpanExporter {
  let lastWarned = 0;
  return {
    export(spans: ReadableSpan[], done: (result: ExportResult) => void) {
      exporter.export(spans, (result) => {
        if (result.code === ExportResultCode.FAILED && logger && Date.now() - lastWarned > 60_000) {
          lastWarned = Date.now();
          const error = result.error as { name?: string; code?: unknown } | undefined;
          logger.warn(
            { spans: spans.length, type: error?.name, code: error?.code },
            'tracing: spans could not be exported to the OTLP endpoint (dropped)',
          );
        }
        done(result);
      });
    },
    shutdown: () => exporter.shutdown(),
    forceFlush: () => exporter.forceFlush?.() ?? Promise.resolve(),
  };
}

const propagator = new W3CTraceContextPropagator();

const headersGetter: TextMapGetter<Headers> = {
  get: (headers, key) => headers.get(key) ?? undefined,
  keys: (headers) => [...headers.keys()],
};

/** The caller's trace from a request's `traceparent`/`tracestate` (W3C Trace Context), else the root. */
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

/** `traceId` and `spanId` of a sampled span, for log lines; undefined when it is not recorded. */
export function traceFields(span: Span | undefined): { traceId: string; spanId: string } | undefined {
  const c = span?.spanContext();
  if (!c || (c.traceFlags & TraceFlags.SAMPLED) === 0) return undefined;
  return { traceId: c.traceId, spanId: c.spanId };
}
