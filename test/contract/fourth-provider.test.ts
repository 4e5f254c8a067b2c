import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import type { ProviderName } from '../../src/domain/batch.js';
import { toGlobalId } from '../../src/domain/global-id.js';
import { simulatorEnv } from '../../src/dev/gateway-env.js';
import { PROVIDER_DEFINITIONS } from '../../src/providers/index.js';
import { startGateway, type RunningGateway } from '../../src/runtime.js';
import { createManualClock, startSimulators, type Simulator, type Simulators } from '../../src/dev/simulators/index.js';
import { toy } from '../fixtures/toy/definition.js';
import { toySimulator, type ToySimCredentials } from '../fixtures/toy/simulator.js';
import { describeProviderContract, LIMITS } from './provider-contract.js';

/**
 * A fourth provider registered the way a real one is: its definition joins the production list,
 * its simulator the simulators' list. Nothing else in src/ is edited for it.
 */
const clock = createManualClock(Date.parse('2026-11-01T12:00:00Z'));
const definitions = [...PROVIDER_DEFINITIONS, toy];
const TOY = 'TOY' as ProviderName;
let sims: Simulators;
let toySim: Simulator & { credentials: ToySimCredentials };
let gateway: RunningGateway;

beforeAll(async () => {
  sims = await startSimulators({ clock, seed: 9, batchCount: 60 });
  toySim = await toySimulator.start({ clock, seed: 9, batchCount: 120 });
  const env = {
    ...simulatorEnv(sims),
    ...toySimulator.gatewayEnv(toySim.url, toySim.credentials),
    PORT: '0',
    LOG_LEVEL: 'silent',
  };
  gateway = await startGateway(loadConfig(env, definitions), {
    definitions,
    graphiql: false,
    host: '127.0.0.1',
    now: clock.now,
  });
});
afterAll(async () => {
  await gateway?.close();
  await Promise.all([sims?.close(), toySim?.close()]);
});

const upstream = loadConfig({ AUTH_MODE: 'none' }).upstream;
describeProviderContract({
  name: 'TOY',
  sim: () => toySim,
  adapter: (wrong) =>
    toy.createAdapter(
      { baseUrl: toySim.url, apiKey: wrong ? 'not-the-key' : toySim.credentials.apiKey, rateLimit: [] },
      { ...upstream, ...LIMITS, policy: { ...upstream.policy, ...LIMITS.policy }, userAgent: 'test' },
    ),
  states: {
    queued: ['QUEUED'],
    running: ['RUNNING'],
    done: ['SUCCEEDED'],
    partial: ['PARTIALLY_SUCCEEDED'],
    failed: ['FAILED'],
    cancelled: ['CANCELLED'],
  },
  missingId: 'job-1',
});

async function gql(query: string, variables?: Record<string, unknown>) {
  const res = await fetch(`http://127.0.0.1:${gateway.port}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as { data?: any; errors?: { message: string; extensions?: { code?: string } }[] };
}

describe('a gateway built from the production list plus a fourth provider', () => {
  it('resolves node(id) for the new provider through its own type and global id', async () => {
    const id = toySim.control.idsByState().running![0]!;
    const res = await gql(
      `query ($id: ID!) { node(id: $id) { __typename id ... on ToyBatch { provider providerBatchId status } } }`,
      { id: toGlobalId(TOY, id) },
    );
    expect(res.errors).toBeUndefined();
    expect(res.data.node).toEqual({
      __typename: 'ToyBatch',
      id: toGlobalId(TOY, id),
      provider: 'TOY',
      providerBatchId: id,
      status: 'RUNNING',
    });
  });

  it('serves batch(provider:) and lists the provider with its capabilities beside the others', async () => {
    const id = toySim.control.idsByState().done![0]!;
    const res = await gql(
      `query ($id: String!) {
        batch(provider: TOY, providerBatchId: $id) { __typename status }
        providers { provider configured canList }
      }`,
      { id },
    );
    expect(res.errors).toBeUndefined();
    expect(res.data.batch).toEqual({ __typename: 'ToyBatch', status: 'SUCCEEDED' });
    expect(res.data.providers).toEqual([
      { provider: 'REACH', configured: true, canList: true },
      { provider: 'GAMEBALL', configured: true, canList: false },
      { provider: 'FACT_CHECK', configured: true, canList: true },
      { provider: 'TOY', configured: true, canList: false },
    ]);
  });

  it('keeps the new provider out of merged lists it cannot serve, saying why', async () => {
    const res = await gql(
      `{ batches(first: 3) { edges { node { provider } } excludedProviders { provider reason } } }`,
    );
    expect(res.errors).toBeUndefined();
    expect(res.data.batches.excludedProviders).toContainEqual({ provider: 'TOY', reason: 'CANNOT_LIST' });
  });

  it('refuses a malformed id for the new provider before any upstream call', async () => {
    const before = toySim.control.totalRequests();
    const res = await gql(`{ node(id: "${toGlobalId(TOY, '../etc')}") { id } }`);
    expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(toySim.control.totalRequests()).toBe(before);
  });

  it('is unknown to a gateway built from the production list alone', async () => {
    const { createSchema } = await import('../../src/graphql/schema.js');
    expect(createSchema(PROVIDER_DEFINITIONS).getType('ToyBatch')).toBeUndefined();
    expect(() => loadConfig({ AUTH_MODE: 'none', TOY_BASE_URL: 'http://x' })).not.toThrow();
  });
});
