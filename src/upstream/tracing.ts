import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Span, type Tracer } from '@opentelemetry/api';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_URL_PATH,
  ATTR_URL_SCHEME,
} from '@opentelemetry/semantic-conventions';
import type { ProviderName } from '../domain/batch.js';
import { GatewayError } from '../domain/errors.js';
import { injectTraceContext } from '../observability/trace-context.js';
import type { AttemptTracer } from '../observability/tracing-types.js';
import { UpstreamHttpError } from './types.js';

/** `url.template` of the HTTP semantic conventions (incubating, so named here). */
const ATTR_URL_TEMPLATE = 'url.template';

/**
 * The client spans of one provider's raw HTTP layer: one span per attempt (retries are spans of
 * their own, siblings under the same parent), named `<METHOD> <route template>` and sent upstream
 * as `traceparent`. An attempt made for a GraphQL operation is a child of its server span (from
 * its `UpstreamCall`); a background poll (`call-context.ts`) starts a trace of its own, so a stream that
 * lives for hours does not grow one unbounded trace.
 */
export function upstreamTracing(
  tracer: Tracer,
  provider: ProviderName,
  base: URL,
  /** The provider's routes as OpenAPI path templates (`/v1/batch/{id}`), relative to the base URL. */
  routes: readonly string[] = [],
): AttemptTracer {
  const prefix = base.pathname.replace(/\/+$/, '');
  const templates = routes.map((route) => ({
    route,
    pattern: new RegExp(`^${route.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}/]+\}/g, '[^/]+')}$`),
  }));
  const scheme = base.protocol.replace(':', '');
  const port = Number(base.port || (scheme === 'https' ? 443 : 80));
  return (method, path, headers, call) => {
    const kind = call?.traffic ?? 'interactive';
    const parent = kind === 'background' ? undefined : call?.scope?.span;
    const template = templates.find((t) => t.pattern.test(path))?.route;
    const span: Span = tracer.startSpan(
      template ? `${method} ${template}` : method,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          [ATTR_HTTP_REQUEST_METHOD]: method,
          [ATTR_SERVER_ADDRESS]: base.hostname,
          [ATTR_SERVER_PORT]: port,
          [ATTR_URL_SCHEME]: scheme,
          // The path only: a query string is never recorded.
          [ATTR_URL_PATH]: prefix + path,
          ...(template ? { [ATTR_URL_TEMPLATE]: prefix + template } : {}),
          'batchql.provider': provider,
          'batchql.traffic': kind,
        },
      },
      parent ? trace.setSpan(ROOT_CONTEXT, parent) : ROOT_CONTEXT,
    );
    injectTraceContext(span, headers);
    return {
      ok(status) {
        span.setAttributes({ [ATTR_HTTP_RESPONSE_STATUS_CODE]: status, 'batchql.outcome': 'ok' });
        span.end();
      },
      failed(error, aborted) {
        if (aborted) {
          span.setAttribute('batchql.outcome', 'aborted');
        } else if (error instanceof UpstreamHttpError) {
          span.setAttributes({
            [ATTR_HTTP_RESPONSE_STATUS_CODE]: error.status,
            [ATTR_ERROR_TYPE]: String(error.status),
            'batchql.outcome': `http_${error.status}`,
          });
          span.setStatus({ code: SpanStatusCode.ERROR, message: `HTTP ${error.status}` });
        } else {
          // The gateway's code only: messages and causes may name internal addresses.
          const code = error instanceof GatewayError ? error.code : 'INTERNAL_SERVER_ERROR';
          if (error instanceof GatewayError && error.upstreamStatus !== undefined)
            span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, error.upstreamStatus);
          span.setAttributes({ [ATTR_ERROR_TYPE]: code, 'batchql.outcome': code });
          span.setStatus({ code: SpanStatusCode.ERROR, message: code });
        }
        span.end();
      },
    };
  };
}
