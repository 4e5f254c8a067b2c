import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { loadConfig } from '../../src/config.js';
import { simulatorEnv } from '../../src/dev/gateway-env.js';
import type { SafeConnectOptions } from '../../src/notifications/safe-connect.js';
import { freshDataDir } from './data-dir.js';
import type { GraphiQLTab } from '../../src/http/graphiql.js';
import { startGateway } from '../../src/runtime.js';
import {
  createManualClock,
  createRealTimeClock,
  startSimulators,
  type StartSimulatorsOptions,
} from '../../src/dev/simulators/index.js';

/** A GraphQL response as the tests read it. */
export interface GqlResponse<T = any> {
  status: number;
  data?: T;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
  extensions?: Record<string, unknown>;
}

/** The registered simulators on a manual clock plus a gateway listening on a loopback port. */
export type Harness = Awaited<ReturnType<typeof startHarness>>;

/** Environment that makes the poll hub fast enough for tests. */
export const FAST_LIVE_ENV = {
  LIVE_POLL_RUNNING_MS: '40',
  LIVE_POLL_IDLE_MS: '40',
  LIVE_POLL_IDLE_MAX_MS: '200',
  LIVE_POLL_PENDING_MS: '200',
  LIVE_POLL_ERROR_MS: '40',
  LIVE_POLL_ERROR_MAX_MS: '200',
  // Quick retries and a breaker that recovers within a test's patience.
  UPSTREAM_RETRY_BASE_MS: '5',
  UPSTREAM_RETRY_MAX_MS: '20',
  UPSTREAM_BREAKER_HALF_OPEN_MS: '100',
};

/**
 * Starts the simulators and a real gateway (HTTP, SSE, WebSocket) in front of them. Requests
 * go over loopback through undici, exactly as in production.
 */
export async function startHarness(
  options: {
    seed?: number;
    batchCount?: number;
    env?: Record<string, string>;
    graphiql?: boolean;
    /** Simulator options beyond seed and count (quotas, data profile). */
    sims?: Partial<Omit<StartSimulatorsOptions, 'clock' | 'seed' | 'batchCount'>>;
    /**
     * The simulators' clock runs in real time (still movable with `advance`/`set`), so their quota
     * windows and `X-RateLimit-Reset` agree with the gateway's own clock. @default a frozen manual clock
     */
    realTime?: boolean;
    /** Tracing on, each span exported here as it ends (`InMemorySpanExporter`). @default as `env`'s `OTEL_*` say */
    spanExporter?: SpanExporter;
    /** The tabs GraphiQL opens with (the demo's). @default the gateway's own document */
    graphiqlTabs?: readonly GraphiQLTab[];
    /** The webhook client's injectable parts (a fake resolver, a spy connector). */
    webhookConnect?: Partial<SafeConnectOptions>;
  } = {},
) {
  const clock = options.realTime ? createRealTimeClock() : createManualClock(Date.parse('2026-11-01T12:00:00Z'));
  const sims = await startSimulators({
    ...options.sims,
    clock,
    seed: options.seed ?? 7,
    batchCount: options.batchCount ?? 300,
  });
  const env = {
    ...simulatorEnv(sims),
    PORT: '0',
    DATA_DIR: freshDataDir(),
    ...FAST_LIVE_ENV,
    ...options.env,
  };
  const config = loadConfig(env);
  // Log lines are kept for assertions (no secret may appear in them) instead of printed.
  const logs: string[] = [];
  const running = await startGateway(config, {
    graphiql: options.graphiql ?? false,
    host: '127.0.0.1',
    now: clock.now,
    logDestination: { write: (line: string) => void logs.push(line) },
    ...(options.spanExporter ? { spanExporter: options.spanExporter } : {}),
    ...(options.graphiqlTabs ? { graphiqlTabs: options.graphiqlTabs } : {}),
    ...(options.webhookConnect ? { webhookConnect: options.webhookConnect } : {}),
  });
  const url = `http://127.0.0.1:${running.port}/graphql`;

  /** POSTs a GraphQL operation to the gateway over HTTP. */
  async function gql<T = any>(
    query: string,
    variables?: Record<string, unknown>,
    headers: Record<string, string> = {},
  ): Promise<GqlResponse<T>> {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await res.json()) as Omit<GqlResponse<T>, 'status'>;
    return { status: res.status, ...body };
  }

  /** Forgets cached upstream list pages, so the next walk's request counts start from zero. */
  function clearListCache(): void {
    running.lists.pageCache.clear();
  }

  function resetCounters(): void {
    for (const sim of sims.all()) {
      sim.control.resetCounters();
      sim.control.clearFaults();
    }
  }

  return {
    sims,
    clock,
    url,
    gateway: running.gateway,
    providers: running.providers,
    hub: running.live.hub,
    running,
    logs,
    gql,
    resetCounters,
    clearListCache,
    async close() {
      await running.close();
      await sims.close();
    },
  };
}
