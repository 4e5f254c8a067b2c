import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { batchTypeName, toGlobalId } from '../../src/domain/global-id.js';
import { SIMULATOR_DEFINITIONS } from '../../src/dev/simulators/index.js';
import { PROVIDER_DEFINITIONS } from '../../src/providers/index.js';
import { startHarness, type Harness } from '../helpers/harness.js';

/**
 * Every provider of the list, served by the gateway over its simulator, with no provider named here: what a
 * provider gets from its definition alone (docs/adding-a-provider.md). A provider added to the list and its
 * simulator to the registry is tested here unchanged (test/contract/fourth-provider.test.ts runs this file with
 * the template provider added).
 */
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ seed: 9, batchCount: 60 });
});
afterAll(() => h.close());
beforeEach(() => h.resetCounters());

/** Each simulated provider: its definition, its simulator's key and its contract. */
const SIMULATED = SIMULATOR_DEFINITIONS.map((simulator) => ({
  name: simulator.provider,
  simulator,
  definition: PROVIDER_DEFINITIONS.find((d) => d.name === simulator.provider)!,
}));

it('lists every provider of the list in rank order, with its name for people and its capabilities', async () => {
  const res = await h.gql('{ providers { provider displayName configured canList canCancel hasPendingDetails } }');
  expect(res.errors).toBeUndefined();
  expect(res.data.providers).toEqual(
    PROVIDER_DEFINITIONS.map((d) => ({
      provider: d.name,
      displayName: d.displayName,
      configured: SIMULATED.some((s) => s.name === d.name),
      canList: d.capabilities.canList,
      canCancel: d.capabilities.canCancel,
      hasPendingDetails: d.capabilities.hasPendingDetails,
    })),
  );
});

describe.each(SIMULATED)('$name through the gateway', ({ name, simulator, definition }) => {
  const sim = () => h.sims[simulator.key];
  const running = () => sim().control.idsByState().running![0]!;

  it('resolves node(id) through its own batch type and global id', async () => {
    const id = running();
    const res = await h.gql(
      'query ($id: ID!) { node(id: $id) { __typename id ... on Batch { provider providerBatchId status } } }',
      { id: toGlobalId(name, id) },
    );
    expect(res.errors).toBeUndefined();
    expect(res.data.node).toMatchObject({
      __typename: batchTypeName(definition.name),
      id: toGlobalId(name, id),
      provider: name,
      providerBatchId: id,
    });
    expect(simulator.contract.states.running).toContain(res.data.node.status);
  });

  it('serves batch(provider:, providerBatchId:)', async () => {
    const id = sim().control.idsByState().done![0]!;
    const res = await h.gql(
      'query ($p: BatchProvider!, $id: String!) { batch(provider: $p, providerBatchId: $id) { __typename status } }',
      { p: name, id },
    );
    expect(res.errors).toBeUndefined();
    expect(res.data.batch.__typename).toBe(batchTypeName(definition.name));
    expect(simulator.contract.states.done).toContain(res.data.batch.status);
  });

  it(`lists its batches in the merged list: from its list, or from the ledger (those batchql has seen)`, async () => {
    const res = await h.gql(
      `query ($p: BatchProvider!) {
        batches(first: 5, filter: { providers: [$p] }) {
          edges { node { provider } }
          excludedProviders { provider reason }
        }
      }`,
      { p: name },
    );
    expect(res.errors).toBeUndefined();
    const providers = res.data.batches.edges.map((e: any) => e.node.provider);
    if (definition.capabilities.canList) {
      expect(providers.length).toBeGreaterThan(0);
      expect(new Set(providers)).toEqual(new Set([name]));
    } else {
      // Without a list endpoint: only the batches the ledger holds (those read above), never excluded.
      expect(new Set(providers).size).toBeLessThanOrEqual(1);
      if (providers.length > 0) expect(providers[0]).toBe(name);
      expect(res.data.batches.excludedProviders).toEqual([]);
    }
  });

  it('refuses an id that cannot be one of its ids before any upstream call', async () => {
    const res = await h.gql(`query ($id: ID!) { node(id: $id) { id } }`, { id: toGlobalId(name, '../../etc/passwd') });
    expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(sim().control.totalRequests()).toBe(0);
  });
});
