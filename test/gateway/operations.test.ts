import { afterAll, beforeAll, expect, it } from 'vitest';
import { toGlobalId } from '../../src/domain/global-id.js';
import { SIMULATOR_DEFINITIONS } from '../../src/dev/simulators/index.js';
import { startHarness, type Harness } from '../helpers/harness.js';

/** Operations endpoints: liveness, readiness with circuit states, Prometheus metrics. */
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ batchCount: 20, env: { UPSTREAM_RETRIES: '0', UPSTREAM_BREAKER_THRESHOLD: '2' } });
});
afterAll(() => h.close());
const base = () => h.url.replace(/\/graphql$/, '');

it('answers /health', async () => {
  const res = await fetch(`${base()}/health`);
  expect(res.status).toBe(200);
  await res.body?.cancel();
});

it('counts upstream calls by provider and outcome in /metrics', async () => {
  const id = h.sims.factCheck.control.idsByState().done![0]!;
  await h.gql(`{ node(id: "${toGlobalId('FACT_CHECK', id)}") { id } }`);
  await h.gql(`{ node(id: "${toGlobalId('FACT_CHECK', 'batch_ffffffffffff')}") { id } }`);
  const text = await (await fetch(`${base()}/metrics`)).text();
  expect(text).toMatch(/batchql_upstream_requests_total\{provider="FACT_CHECK",outcome="ok"\} [1-9]/);
  expect(text).toMatch(/batchql_upstream_requests_total\{provider="FACT_CHECK",outcome="NOT_FOUND"\} [1-9]/);
  expect(text).toContain('batchql_upstream_duration_seconds_bucket');
  expect(text).toContain('batchql_subscriptions');
  expect(text).toContain('process_resident_memory_bytes');
});

it('reports circuits in /ready, and 503 only when every provider is open', async () => {
  // Every provider of the list, each on its simulator (src/dev/simulators/registry.ts).
  const every = (state: string) => Object.fromEntries(SIMULATOR_DEFINITIONS.map((d) => [d.provider, state]));
  let res = await fetch(`${base()}/ready`);
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({
    ready: true,
    providers: every('CLOSED'),
    ledger: expect.objectContaining({ state: 'ok', writeFailures: 0 }),
  });
  for (const sim of h.sims.all()) sim.control.setFault({ kind: 'http5xx', status: 500 });
  const ids = SIMULATOR_DEFINITIONS.map((d) => toGlobalId(d.provider, h.sims[d.key].control.idsByState().done![0]!));
  // fresh: finished batches are the ledger's otherwise, and these reads are meant to fail upstream.
  for (let i = 0; i < 2; i++) await h.gql('query($ids: [ID!]!) { nodes(ids: $ids, fresh: true) { id } }', { ids });
  res = await fetch(`${base()}/ready`);
  expect(res.status).toBe(503);
  expect((await res.json()).providers).toEqual(every('OPEN'));
  const text = await (await fetch(`${base()}/metrics`)).text();
  expect(text).toMatch(/batchql_circuit_open\{provider="REACH"\} 1/);
  h.resetCounters();
});
