import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../../src/config.js';
import { simulatorEnv } from '../../src/gateway-env.js';
import { closeProviders, createProviders, type Providers } from '../../src/providers/index.js';
import { createGateway, type Gateway } from '../../src/server.js';
import { createListServices } from '../../src/context.js';
import { createManualClock, startSimulators } from '../../src/simulators/index.js';

/** A GraphQL response as the tests read it. */
export interface GqlResponse<T = any> {
  status: number;
  data?: T;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
}

/** The three simulators on a manual clock plus a gateway listening on a loopback port. */
export type Harness = Awaited<ReturnType<typeof startHarness>>;

/**
 * Starts the simulators and a real gateway HTTP server in front of them. Requests go over
 * loopback through undici, exactly as in production.
 */
export async function startHarness(options: { seed?: number; batchCount?: number; env?: Record<string, string> } = {}) {
  const clock = createManualClock(Date.parse('2026-11-01T12:00:00Z'));
  const sims = await startSimulators({ clock, seed: options.seed ?? 7, batchCount: options.batchCount ?? 300 });
  const env = { ...simulatorEnv({ reach: sims.reach.url, gameball: sims.gameball.url, factCheck: sims.factCheck.url }, sims.credentials), ...options.env };
  const config = loadConfig(env);
  const providers: Providers = createProviders(config);
  const lists = createListServices(config.lists);
  const gateway: Gateway = createGateway({ providers, limits: config.upstream, lists: config.lists, listServices: lists, graphiql: false });
  const server: Server = createServer(gateway);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;

  /** POSTs a GraphQL operation to the gateway over HTTP. */
  async function gql<T = any>(query: string, variables?: Record<string, unknown>, headers: Record<string, string> = {}): Promise<GqlResponse<T>> {
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
    lists.pageCache.clear();
  }

  function resetCounters(): void {
    for (const sim of [sims.reach, sims.gameball, sims.factCheck]) {
      sim.control.resetCounters();
      sim.control.clearFaults();
    }
  }

  return {
    sims,
    clock,
    url,
    gateway,
    providers,
    gql,
    resetCounters,
    clearListCache,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await closeProviders(providers);
      await sims.close();
    },
  };
}
