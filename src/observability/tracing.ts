import type { Span } from '@opentelemetry/api';
import { env, fragment, readFragment } from '../config/settings.js';
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
const SAMPLERS = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const satisfies readonly SamplerName[];

/** An `http(s)` URL, or undefined when unset. */
const endpointVariable = () =>
  env.text(undefined, (raw) => {
    const url = URL.canParse(raw) ? new URL(raw) : undefined;
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:'))
      return 'must be an http:// or https:// URL of an OTLP/HTTP endpoint';
    return undefined;
  });

/**
 * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` (the traces URL, as is) or `OTEL_EXPORTER_OTLP_ENDPOINT`
 * (a base URL, `/v1/traces` appended, as the OpenTelemetry specification says); without either,
 * or with `OTEL_SDK_DISABLED=true`, tracing is off. `OTEL_SERVICE_NAME`, `OTEL_TRACES_SAMPLER`,
 * `OTEL_TRACES_SAMPLER_ARG` and `OTEL_RESOURCE_ATTRIBUTES` (`key=value,…`, values percent-decoded).
 */
export const tracingSettings = fragment(
  {
    OTEL_SDK_DISABLED: env.bool(false).describe('`true` turns tracing off whatever the endpoint'),
    OTEL_EXPORTER_OTLP_ENDPOINT: endpointVariable()
      .meta({ fallback: '— (tracing off)' })
      .describe(
        'OTLP/HTTP base URL of a collector, e.g. `http://otel-collector:4318`; spans are POSTed to ' +
          '`<url>/v1/traces` ([operations.md](operations.md#tracing))',
      ),
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: endpointVariable().describe(
      'the traces URL itself (used as is, wins over the base URL)',
    ),
    OTEL_SERVICE_NAME: env.text('batchql').describe('`service.name` of the spans'),
    OTEL_TRACES_SAMPLER: env
      .oneOf(SAMPLERS, 'parentbased_always_on')
      .describe("the sampler; `parentbased_*` follow the caller's sampled flag"),
    OTEL_TRACES_SAMPLER_ARG: env.number(1, 0, 1).describe('the ratio of the `*traceidratio` samplers'),
    OTEL_RESOURCE_ATTRIBUTES: env
      .custom((raw, refuse): Record<string, string> => {
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
      })
      .meta({ allowed: '`key=value,…` (values percent-decoded)' })
      .describe('more resource attributes, e.g. `deployment.environment.name=prod`'),
  },
  (v): TracingSettings => {
    const base = v.OTEL_EXPORTER_OTLP_ENDPOINT;
    const endpoint =
      v.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? (base ? `${base.replace(/\/+$/, '')}/v1/traces` : undefined);
    return {
      endpoint: v.OTEL_SDK_DISABLED ? undefined : endpoint,
      serviceName: v.OTEL_SERVICE_NAME,
      sampler: v.OTEL_TRACES_SAMPLER,
      samplerRatio: v.OTEL_TRACES_SAMPLER_ARG,
      resourceAttributes: v.OTEL_RESOURCE_ATTRIBUTES,
    };
  },
  {
    title: 'Tracing',
    says:
      'OpenTelemetry tracing ([operations.md](operations.md#tracing)): off without an OTLP endpoint. Other ' +
      "`OTEL_*` variables are the OpenTelemetry exporter's own, never reported as unknown.",
  },
);

/** Tracing off: the settings of an environment without `OTEL_*` (the fragment's defaults). */
export const TRACING_OFF: TracingSettings = readFragment(tracingSettings, {});

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
