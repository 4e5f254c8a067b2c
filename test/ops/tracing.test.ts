import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { toGlobalId } from '../../src/domain/global-id.js';
import { SECRET_MARKER } from '../../src/dev/simulators/server.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { sseClient, subscribe, wsClient } from '../helpers/live-clients.js';
import { until } from '../helpers/until.js';

/** OpenTelemetry tracing through the real gateway: server and client spans, traceparent in and out, logs. */

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-0[01]$/;
const lines = (h: Harness) => h.logs.map((l) => JSON.parse(l) as Record<string, unknown>);
const sim = (h: Harness) => h.sims.factCheck.control;
const doneId = (h: Harness) => sim(h).idsByState().done![0]!;
// fresh: a finished batch is the ledger's otherwise, and each read here is meant to reach Check (and be traced).
const BATCH = (id: string) =>
  `query OneBatch { batch(provider: FACT_CHECK, providerBatchId: "${id}", fresh: true) { id status } }`;

describe('with an in-memory exporter', () => {
  let h: Harness;
  const exporter = new InMemorySpanExporter();
  beforeAll(async () => {
    h = await startHarness({
      batchCount: 20,
      spanExporter: exporter,
      env: { UPSTREAM_RETRIES: '2', UPSTREAM_BREAKER_THRESHOLD: '50' },
    });
  });
  afterAll(() => h.close());
  beforeEach(() => {
    h.resetCounters();
    exporter.reset();
  });

  const spans = () => exporter.getFinishedSpans();
  const serverSpans = () => spans().filter((s) => s.kind === SpanKind.SERVER);
  const clientSpans = (traceId: string) =>
    spans().filter((s) => s.kind === SpanKind.CLIENT && s.spanContext().traceId === traceId);
  const only = <T>(list: T[]): T => {
    expect(list).toHaveLength(1);
    return list[0]!;
  };

  it('makes a server span per query and a client span per upstream call, and sends traceparent upstream', async () => {
    const id = doneId(h);
    const res = await h.gql(BATCH(id), undefined, { 'x-request-id': 'trace-1' });
    expect(res.errors).toBeUndefined();
    const server = only(serverSpans());
    expect(server.name).toBe('query OneBatch');
    expect(server.parentSpanContext).toBeUndefined();
    expect(server.status.code).toBe(SpanStatusCode.UNSET);
    expect(server.attributes).toMatchObject({
      'graphql.operation.name': 'OneBatch',
      'graphql.operation.type': 'query',
      'http.request.method': 'POST',
      'http.route': '/graphql',
      'http.response.status_code': 200,
      'batchql.request_id': 'trace-1',
      'batchql.transport': 'http',
    });
    const { traceId, spanId } = server.spanContext();
    const client = only(clientSpans(traceId));
    expect(client.name).toBe('GET /v1/batch/{id}');
    expect(client.parentSpanContext?.spanId).toBe(spanId);
    expect(client.attributes).toMatchObject({
      'http.request.method': 'GET',
      'url.path': `/v1/batch/${id}`,
      'url.template': '/v1/batch/{id}',
      'server.address': '127.0.0.1',
      'http.response.status_code': 200,
      'batchql.provider': 'FACT_CHECK',
      'batchql.traffic': 'interactive',
      'batchql.outcome': 'ok',
    });
    // The simulator received the client span's context, so the provider's own trace joins this one.
    const upstream = only(sim(h).requests());
    const sent = TRACEPARENT.exec(upstream.headers.traceparent ?? '');
    expect(sent?.[1]).toBe(traceId);
    expect(sent?.[2]).toBe(client.spanContext().spanId);
  });

  it('continues the trace of an incoming traceparent', async () => {
    const callerTrace = '4bf92f3577b34da6a3ce929d0e0e4736';
    const callerSpan = '00f067aa0ba902b7';
    const res = await h.gql(BATCH(doneId(h)), undefined, { traceparent: `00-${callerTrace}-${callerSpan}-01` });
    expect(res.errors).toBeUndefined();
    const server = only(serverSpans());
    expect(server.spanContext().traceId).toBe(callerTrace);
    expect(server.parentSpanContext?.spanId).toBe(callerSpan);
    expect(TRACEPARENT.exec(sim(h).requests()[0]!.headers.traceparent ?? '')?.[1]).toBe(callerTrace);
    // An invalid traceparent starts a new trace instead.
    exporter.reset();
    await h.gql(BATCH(doneId(h)), undefined, { traceparent: `00-${'0'.repeat(32)}-${callerSpan}-01` });
    const fresh = only(serverSpans());
    expect(fresh.parentSpanContext).toBeUndefined();
    expect(fresh.spanContext().traceId).not.toBe('0'.repeat(32));
  });

  it('puts traceId and spanId on the access log line and the warnings of the request', async () => {
    sim(h).setFault({ kind: 'http5xx', status: 500 });
    const before = h.logs.length;
    const res = await h.gql(BATCH(doneId(h)), undefined, { 'x-request-id': 'trace-logs' });
    expect(res.errors?.[0]?.extensions?.code).toBe('PROVIDER_UNAVAILABLE');
    const { traceId, spanId } = only(serverSpans()).spanContext();
    const mine = lines(h)
      .slice(before)
      .filter((l) => l.requestId === 'trace-logs');
    const access = mine.find((l) => l.msg === 'graphql operation');
    expect(access).toMatchObject({ traceId, spanId, operationName: 'OneBatch' });
    const warn = mine.find((l) => l.msg === 'upstream call failed');
    expect(warn).toMatchObject({ level: 40, traceId, spanId });
  });

  it('makes each retry a client span of its own; failures are ERROR with a code, never a message or URL', async () => {
    // Every attempt fails: three attempts (two retries), each a span, all children of the server span.
    sim(h).setFault({ kind: 'http5xx', status: 503 });
    const res = await h.gql(BATCH(doneId(h)));
    expect(res.errors?.[0]?.extensions?.code).toBe('PROVIDER_UNAVAILABLE');
    const server = only(serverSpans());
    expect(server.status).toEqual({ code: SpanStatusCode.ERROR, message: 'PROVIDER_UNAVAILABLE' });
    expect(server.attributes['error.type']).toBe('PROVIDER_UNAVAILABLE');
    const attempts = clientSpans(server.spanContext().traceId);
    expect(attempts).toHaveLength(3);
    expect(sim(h).totalRequests()).toBe(3);
    for (const attempt of attempts) {
      expect(attempt.parentSpanContext?.spanId).toBe(server.spanContext().spanId);
      expect(attempt.status).toEqual({ code: SpanStatusCode.ERROR, message: 'HTTP 503' });
      expect(attempt.attributes).toMatchObject({ 'error.type': '503', 'http.response.status_code': 503 });
    }
    // Each attempt sent its own span as the parent upstream.
    const sentSpans = sim(h)
      .requests()
      .map((r) => TRACEPARENT.exec(r.headers.traceparent ?? '')?.[2]);
    expect(new Set(sentSpans)).toEqual(new Set(attempts.map((a) => a.spanContext().spanId)));
    // The simulator's error body carries a planted secret and an internal URL: no span has either.
    const recorded = JSON.stringify(spans().map((s) => [s.name, s.attributes, s.status, s.events]));
    expect(recorded).not.toContain(SECRET_MARKER);
    expect(recorded).not.toContain('10.0.3.7');
    expect(recorded).not.toContain('vfy_');

    // One failure then success: the retry's span is ok, the first ERROR.
    exporter.reset();
    h.resetCounters();
    sim(h).setFault({ kind: 'http5xx', status: 500, times: 1 });
    const ok = await h.gql(BATCH(doneId(h)));
    expect(ok.errors).toBeUndefined();
    const again = only(serverSpans());
    expect(again.status.code).toBe(SpanStatusCode.UNSET);
    const outcomes = clientSpans(again.spanContext().traceId)
      .sort((a, b) => a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1])
      .map((s) => s.attributes['batchql.outcome']);
    expect(outcomes).toEqual(['http_500', 'ok']);
  });

  it('traces a subscription over SSE and WebSocket up to its stream opening; polls are their own traces', async () => {
    const running = sim(h).idsByState().running!;
    const WATCH = 'subscription Watch($id: ID!) { batch(id: $id) { status } }';
    const sse = subscribe(sseClient(h.url, { traceparent: `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01` }), WATCH, {
      id: toGlobalId('FACT_CHECK', running[0]!),
    });
    const ws = wsClient(h.url);
    const overWs = subscribe(ws, WATCH, { id: toGlobalId('FACT_CHECK', running[1]!) });
    await Promise.all([sse.waitForEvents(1), overWs.waitForEvents(1)]);
    // Both streams are still open, and their spans are already exported.
    await until(() => serverSpans().length >= 2, 2_000, 'both subscription spans');
    expect(sse.isEnded() || overWs.isEnded()).toBe(false);
    const [viaSse, viaWs] = ['http', 'ws'].map((t) =>
      only(serverSpans().filter((s) => s.attributes['batchql.transport'] === t)),
    );
    for (const span of [viaSse!, viaWs!]) {
      expect(span.name).toBe('subscription Watch');
      expect(span.attributes).toMatchObject({ 'graphql.operation.type': 'subscription', 'batchql.stream': true });
    }
    expect(viaSse!.spanContext().traceId).toBe('a'.repeat(32));
    // Polls keep going in the background: each upstream read of a poll is a root span, in no subscriber's trace.
    h.clock.advance(1_000);
    await until(
      () => spans().some((s) => s.kind === SpanKind.CLIENT && s.attributes['batchql.traffic'] === 'background'),
      5_000,
      'a background poll span',
    );
    const subscriberTraces = new Set([viaSse!, viaWs!].map((s) => s.spanContext().traceId));
    for (const poll of spans().filter((s) => s.attributes['batchql.traffic'] === 'background')) {
      expect(poll.parentSpanContext).toBeUndefined();
      expect(subscriberTraces.has(poll.spanContext().traceId)).toBe(false);
    }
    sse.close();
    overWs.close();
    await ws.dispose();
  });
});

describe('with tracing off', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ batchCount: 20 });
  });
  afterAll(() => h.close());

  it('sends no traceparent upstream and logs no trace ids', async () => {
    expect(h.running.tracing).toBeUndefined();
    const before = h.logs.length;
    const res = await h.gql(BATCH(doneId(h)), undefined, {
      traceparent: `00-${'c'.repeat(32)}-${'d'.repeat(16)}-01`,
    });
    expect(res.errors).toBeUndefined();
    const upstream = sim(h).requests();
    expect(upstream.length).toBeGreaterThan(0);
    for (const r of upstream) expect(r.headers).not.toHaveProperty('traceparent');
    const access = lines(h)
      .slice(before)
      .find((l) => l.msg === 'graphql operation');
    expect(access).toBeDefined();
    expect(access).not.toHaveProperty('traceId');
  });
});

describe('exporting to an OTLP/HTTP endpoint named by OTEL_EXPORTER_OTLP_ENDPOINT', () => {
  let collector: Server;
  const received: { path: string; contentType: string | undefined; body: string }[] = [];
  beforeAll(async () => {
    collector = createServer((req: IncomingMessage, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({
          path: req.url ?? '',
          contentType: req.headers['content-type'],
          body: Buffer.concat(chunks).toString('utf8'),
        });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{}');
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
  });
  afterAll(() => new Promise<void>((resolve) => collector.close(() => resolve())));

  it('POSTs the spans to <endpoint>/v1/traces, flushed by the shutdown', async () => {
    const port = (collector.address() as AddressInfo).port;
    const h = await startHarness({
      batchCount: 20,
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}/`,
        OTEL_SERVICE_NAME: 'batchql-otlp-test',
        OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=test',
      },
    });
    try {
      expect(h.running.tracing).toBeDefined();
      expect(lines(h).find((l) => l.msg === 'tracing: spans are exported over OTLP/HTTP')).toMatchObject({
        endpoint: `http://127.0.0.1:${port}/v1/traces`,
      });
      const res = await h.gql(BATCH(doneId(h)));
      expect(res.errors).toBeUndefined();
      // The batch processor waits 5 s before sending: nothing has gone yet.
      expect(received).toEqual([]);
    } finally {
      // The shutdown flushes the span processor.
      await h.close();
    }
    expect(received.length).toBeGreaterThan(0);
    expect(received[0]).toMatchObject({ path: '/v1/traces', contentType: 'application/json' });
    const body = JSON.parse(received.map((r) => r.body).join('')) as {
      resourceSpans: {
        resource: { attributes: { key: string; value: { stringValue?: string } }[] };
        scopeSpans: { spans: { name: string; kind: number; traceId: string }[] }[];
      }[];
    };
    const resource = Object.fromEntries(
      body.resourceSpans[0]!.resource.attributes.map((a) => [a.key, a.value.stringValue]),
    );
    expect(resource).toMatchObject({
      'service.name': 'batchql-otlp-test',
      'deployment.environment.name': 'test',
    });
    const names = body.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans.map((x) => x.name)));
    expect(names).toEqual(expect.arrayContaining(['query OneBatch', 'GET /v1/batch/{id}']));
  });
});

describe('settings', () => {
  const base = { AUTH_MODE: 'none', FACTCHECK_BASE_URL: 'http://127.0.0.1:3', FACTCHECK_API_KEY: 'vfy_x' };

  it('is off by default, and reads the endpoint, service name and sampler', () => {
    expect(loadConfig(base).tracing).toMatchObject({ endpoint: undefined, serviceName: 'batchql' });
    expect(
      loadConfig({
        ...base,
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
        OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
        OTEL_TRACES_SAMPLER_ARG: '0.25',
      }).tracing,
    ).toMatchObject({
      endpoint: 'http://collector:4318/v1/traces',
      sampler: 'parentbased_traceidratio',
      samplerRatio: 0.25,
    });
    // The traces endpoint is taken as is and wins; OTEL_SDK_DISABLED turns tracing off.
    const both = {
      ...base,
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example/otlp',
    };
    expect(loadConfig(both).tracing.endpoint).toBe('https://traces.example/otlp');
    expect(loadConfig({ ...both, OTEL_SDK_DISABLED: 'true' }).tracing.endpoint).toBeUndefined();
  });

  it('refuses a bad endpoint, sampler or ratio, naming the variable', () => {
    expect(() =>
      loadConfig({
        ...base,
        OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318',
        OTEL_TRACES_SAMPLER: 'sometimes',
        OTEL_TRACES_SAMPLER_ARG: '2',
      }),
    ).toThrow(
      expect.objectContaining({
        messages: expect.arrayContaining([
          expect.stringContaining('OTEL_EXPORTER_OTLP_ENDPOINT'),
          expect.stringContaining('OTEL_TRACES_SAMPLER must be one of'),
          expect.stringContaining('OTEL_TRACES_SAMPLER_ARG'),
        ]),
      }),
    );
  });

  it('never reports an OTEL_ variable as unknown, even under CONFIG_STRICT', () => {
    const env = {
      ...base,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_HEADERS: 'x-key=1',
      OTEL_BSP_SCHEDULE_DELAY: '1000',
      OTEL_SERVICE_NAME: 'gw',
    };
    expect(loadConfig(env).warnings).toEqual([]);
    expect(() => loadConfig({ ...env, CONFIG_STRICT: 'true' })).not.toThrow();
    // Our own families are still checked.
    expect(loadConfig({ ...env, UPSTREAM_RETRYS: '1' }).warnings).toHaveLength(1);
  });
});
