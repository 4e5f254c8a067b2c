import type { ReachResourcesWrite } from '../../src/providers/reach/model.js';
import type { GameballSubmit } from '../../src/providers/gameball/model.js';
import type { FactCheckSubmit } from '../../src/providers/factcheck/model.js';
import { afterAll, beforeAll } from 'vitest';
import type { BatchProvider } from '../../src/domain/provider.js';
import type { WriteRequest } from '../../src/domain/writes.js';
import { describeProviderContract, LIMITS } from './provider-contract.js';
import { createFactCheckAdapter } from '../../src/providers/factcheck/adapter.js';
import { createFactCheckHttpClient } from '../../src/providers/factcheck/client.js';
import { createGameballAdapter } from '../../src/providers/gameball/adapter.js';
import { createGameballHttpClient } from '../../src/providers/gameball/client.js';
import { createReachAdapter } from '../../src/providers/reach/adapter.js';
import { createReachHttpClient } from '../../src/providers/reach/client.js';
import { createManualClock, startSimulators, type Simulator } from '../../src/dev/simulators/index.js';

type Sims = Awaited<ReturnType<typeof startSimulators>>;

interface Case {
  name: string;
  sim: (s: Sims) => Simulator;
  adapter: (s: Sims, wrongCredentials?: boolean) => BatchProvider;
  /** Simulator state label → the unified status its batches must map to. */
  states: Record<string, string[]>;
  missingId: string;
  write?: WriteRequest;
}

const cases: Case[] = [
  {
    name: 'REACH',
    sim: (s) => s.reach,
    adapter: (s, wrong) =>
      createReachAdapter(
        createReachHttpClient({
          ...LIMITS,
          baseUrl: s.reach.url,
          token: wrong ? 'not-a-jwt' : s.credentials.reach.token,
          tenantId: s.credentials.reach.tenantId,
        }),
      ),
    states: {
      running: ['RUNNING'],
      done: ['SUCCEEDED'],
      partial: ['PARTIALLY_SUCCEEDED'],
      failed: ['FAILED'],
      pending: ['SUCCEEDED', 'PARTIALLY_SUCCEEDED'],
    },
    missingId: 'does-not-exist',
    write: <ReachResourcesWrite>{ kind: 'REACH_SUBMIT', schema: 'contacts', resources: [{ externalId: 'c-1' }] },
  },
  {
    name: 'GAMEBALL',
    sim: (s) => s.gameball,
    adapter: (s, wrong) =>
      createGameballAdapter(
        createGameballHttpClient({
          ...LIMITS,
          baseUrl: s.gameball.url,
          apiKey: wrong ? 'wrong' : s.credentials.gameball.apiKey,
          secretKey: s.credentials.gameball.secretKey,
        }),
      ),
    states: {
      queued: ['QUEUED'],
      running: ['RUNNING'],
      done: ['SUCCEEDED'],
      partial: ['PARTIALLY_SUCCEEDED'],
      failed: ['FAILED'],
      cancelled: ['CANCELLED'],
    },
    missingId: '999999999999',
    write: <GameballSubmit>{ kind: 'GAMEBALL_SUBMIT', operation: 'customers', items: [{ customerId: 'c-1' }] },
  },
  {
    name: 'FACT_CHECK',
    sim: (s) => s.factCheck,
    adapter: (s, wrong) =>
      createFactCheckAdapter(
        createFactCheckHttpClient({
          ...LIMITS,
          baseUrl: s.factCheck.url,
          apiKey: wrong ? 'vfy_wrong' : s.credentials.factCheck.apiKey,
        }),
      ),
    states: {
      queued: ['QUEUED'],
      running: ['RUNNING'],
      done: ['SUCCEEDED'],
      partial: ['PARTIALLY_SUCCEEDED'],
      failed: ['FAILED'],
      cancelled: ['CANCELLED'],
    },
    missingId: 'batch_000000000000',
    write: <FactCheckSubmit>{ kind: 'FACT_CHECK_SUBMIT', items: [{ content: 'A claim.' }] },
  },
];

let sims: Sims;
beforeAll(async () => {
  sims = await startSimulators({
    clock: createManualClock(Date.parse('2026-11-01T12:00:00Z')),
    seed: 11,
    batchCount: 200,
  });
});
afterAll(async () => sims.close());

for (const c of cases)
  describeProviderContract({
    ...c,
    sim: () => c.sim(sims),
    adapter: (wrong) => c.adapter(sims, wrong),
  });
