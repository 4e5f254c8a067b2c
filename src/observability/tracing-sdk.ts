import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
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
import type { SamplerName, Tracing, TracingOptions, TracingSettings } from './tracing-types.js';

/** The OpenTelemetry SDK of one gateway: loaded by `startTracing` (`tracing.ts`) only when tracing is on. */

function samplerOf(name: SamplerName, ratio: number): Sampler {
  const root = name.endsWith('always_off')
    ? new AlwaysOffSampler()
    : name.endsWith('traceidratio')
      ? new TraceIdRatioBasedSampler(ratio)
      : new AlwaysOnSampler();
  return name.startsWith('parentbased_') ? new ParentBasedSampler({ root }) : root;
}

/**
 * The tracer provider of one gateway and its spans. OTLP export is batched (`BatchSpanProcessor`;
 * the SDK's `OTEL_BSP_*` and the exporter's `OTEL_EXPORTER_OTLP_HEADERS`/`_TIMEOUT`/`_COMPRESSION`
 * are read by the SDK from the process environment); an injected exporter gets each span as it ends.
 */
export function createTracing(settings: TracingSettings, options: TracingOptions): Tracing {
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
