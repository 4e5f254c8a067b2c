import type { Span } from '@opentelemetry/api';
import { env, fragment } from '../config/settings.js';
import type { SamplerName, Tracing, TracingOptions, TracingSettings } from './tracing-types.js';

export type { SamplerName, Tracing, TracingOptions, TracingSettings } from './tracing-types.js';

/**
 * OpenTelemetry tracing (docs/operations.md, "Tracing"): one server span per GraphQL operation
 * (`graphql/tracing.ts`), one client span per upstream attempt (`upstream/tracing.ts`), W3C
 * `traceparent` in and out (`trace-context.ts`), the SDK set up in `tracing-sdk.ts`. The SDK is
 * this gateway's own (nothing is registered globally), so two gateways in one process trace
 * independently. Off (no SDK loaded, no span, no header) unless an OTLP endpoint is configured.
 */

/** The samplers of `OTEL_TRACES_SAMPLER` (the OpenTelemetry SDK's names). */
export const SAMPLERS = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const satisfies readonly SamplerName[];

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

/**
 * The tracing of one gateway, or undefined when tracing is off (no endpoint and no exporter
 * given). The SDK is loaded only then, so a gateway without tracing never loads it.
 */
export async function startTracing(
  settings: TracingSettings,
  options: TracingOptions = {},
): Promise<Tracing | undefined> {
  if (!options.exporter && !settings.endpoint) return undefined;
  const { createTracing } = await import('./tracing-sdk.js');
  return createTracing(settings, options);
}

/** `traceId` and `spanId` of a sampled span, for log lines; undefined when it is not recorded. */
export function traceFields(span: Span | undefined): { traceId: string; spanId: string } | undefined {
  const c = span?.spanContext();
  // Bit 0 of the flags: sampled (W3C Trace Context).
  if (!c || (c.traceFlags & 1) === 0) return undefined;
  return { traceId: c.traceId, spanId: c.spanId };
}
