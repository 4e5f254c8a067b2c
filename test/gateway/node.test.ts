import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { toGlobalId } from '../../src/domain/global-id.js';
import { startHarness, type Harness } from '../helpers/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());
beforeEach(() => h.resetCounters());

const BATCH_FIELDS = /* GraphQL */ `
  __typename id provider providerBatchId status providerStatus isTerminal
  progress { total processed succeeded failed pending percent }
  createdAt startedAt completedAt errorMessage
  ... on ReachBatch {
    batchType schemaName successRate pendingRecords errorSummary { category count }
    recordErrors(first: 5) { totalCount edges { node { externalId errors categories } } }
  }
  ... on GameballBatch { providerProgress totalItems results { customerId raw } itemErrors { customerId message code } }
  ... on FactCheckBatch {
    name inputFormat methods { method weight } context totalCostCents validationErrors { row message } expiresAt
  }
`;

const batchGets = (sim: Harness['sims']['reach'], id?: string) =>
  sim.control
    .requests()
    .filter(
      (r) =>
        r.method === 'GET' &&
        !r.path.startsWith('/__sim') &&
        (id === undefined || decodeURIComponent(r.path).includes(id)),
    );

function firstId(sim: Harness['sims']['reach'], state: string): string {
  const id = sim.control.idsByState()[state]?.[0];
  if (!id) throw new Error(`simulator has no ${state} batch`);
  return id;
}

describe('node and batch', () => {
  it.each([
    ['REACH', 'ReachBatch', 'reach'],
    ['GAMEBALL', 'GameballBatch', 'gameball'],
    ['FACT_CHECK', 'FactCheckBatch', 'factCheck'],
  ] as const)('round-trips a %s batch through batch() and node()', async (provider, typename, simName) => {
    const sim = h.sims[simName];
    const upstreamId = firstId(sim, 'running');
    const byProvider = await h.gql(
      `query($p: BatchProvider!, $id: String!) { batch(provider: $p, providerBatchId: $id) { ${BATCH_FIELDS} } }`,
      { p: provider, id: upstreamId },
    );
    expect(byProvider.errors).toBeUndefined();
    const batch = byProvider.data.batch;
    expect(batch).toMatchObject({
      __typename: typename,
      provider,
      providerBatchId: upstreamId,
      status: 'RUNNING',
      isTerminal: false,
    });
    expect(batch.id).toBe(toGlobalId(provider, upstreamId));

    const byNode = await h.gql(`query($id: ID!) { node(id: $id) { ... on Batch { ${BATCH_FIELDS} } } }`, {
      id: batch.id,
    });
    expect(byNode.errors).toBeUndefined();
    expect(byNode.data.node).toEqual(batch);
  });

  it('exposes Check validation errors of a failed batch', async () => {
    const id = firstId(h.sims.factCheck, 'failed');
    const res = await h.gql(
      `{ batch(provider: FACT_CHECK, providerBatchId: "${id}") { status errorMessage ` +
        '... on FactCheckBatch { validationErrors { row message } } } }',
    );
    expect(res.data.batch.status).toBe('FAILED');
    expect(res.data.batch.validationErrors.length).toBeGreaterThan(0);
    expect(res.data.batch.errorMessage).toMatch(/validation error/);
  });

  it('returns null with NOT_FOUND for a batch the provider does not have', async () => {
    const res = await h.gql(`{ node(id: "${toGlobalId('FACT_CHECK', 'batch_ffffffffffff')}") { id } }`);
    expect(res.status).toBe(200);
    expect(res.data.node).toBeNull();
    expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', provider: 'FACT_CHECK' });
    expect(res.errors?.[0]?.path).toEqual(['node']);
  });

  it('lists each provider with its capabilities', async () => {
    // Every provider's entry, in rank order, is test/gateway/every-provider.test.ts's; these are the ones named here.
    const res = await h.gql('{ providers { provider configured canList canCancel hasPendingDetails pagination } }');
    expect(res.data.providers).toEqual(
      expect.arrayContaining([
        {
          provider: 'REACH',
          configured: true,
          canList: true,
          canCancel: false,
          hasPendingDetails: true,
          pagination: 'CURSOR',
        },
        {
          provider: 'GAMEBALL',
          configured: true,
          canList: false,
          canCancel: true,
          hasPendingDetails: false,
          pagination: null,
        },
        {
          provider: 'FACT_CHECK',
          configured: true,
          canList: true,
          canCancel: true,
          hasPendingDetails: false,
          pagination: 'OFFSET',
        },
      ]),
    );
  });
});

describe('nodes', () => {
  it('costs one upstream call per distinct id and keeps the order', async () => {
    const a = firstId(h.sims.reach, 'done');
    const b = firstId(h.sims.factCheck, 'done');
    const c = firstId(h.sims.gameball, 'done');
    const ids = [a, a, b, c, b].map((id, i) =>
      toGlobalId((['REACH', 'REACH', 'FACT_CHECK', 'GAMEBALL', 'FACT_CHECK'] as const)[i]!, id),
    );
    const res = await h.gql('query($ids: [ID!]!) { nodes(ids: $ids) { id ... on Batch { providerBatchId } } }', {
      ids,
    });
    expect(res.errors).toBeUndefined();
    expect(res.data.nodes.map((n: { providerBatchId: string }) => n.providerBatchId)).toEqual([a, a, b, c, b]);
    expect(batchGets(h.sims.reach, a)).toHaveLength(1);
    expect(batchGets(h.sims.factCheck, b)).toHaveLength(1);
    expect(batchGets(h.sims.gameball, c)).toHaveLength(1);
  });

  it('answers null plus an error at the index of a bad or missing id while the others resolve', async () => {
    const good = toGlobalId('REACH', firstId(h.sims.reach, 'done'));
    const missing = toGlobalId('GAMEBALL', '987654321987');
    const res = await h.gql('query($ids: [ID!]!) { nodes(ids: $ids) { id } }', {
      ids: [good, 'garbage!', missing, good],
    });
    expect(res.status).toBe(200);
    expect(res.data.nodes).toEqual([{ id: good }, null, null, { id: good }]);
    const byPath = Object.fromEntries((res.errors ?? []).map((e) => [e.path?.join('.'), e.extensions?.code]));
    expect(byPath).toEqual({ 'nodes.1': 'BAD_USER_INPUT', 'nodes.2': 'NOT_FOUND' });
  });

  it('fetches 100 ids across providers, in parallel, one call each', async () => {
    const pick = (sim: Harness['sims']['reach'], n: number) =>
      Object.values(sim.control.idsByState()).flat().slice(0, n);
    const ids = [
      ...pick(h.sims.reach, 34).map((id) => toGlobalId('REACH', id)),
      ...pick(h.sims.gameball, 33).map((id) => toGlobalId('GAMEBALL', id)),
      ...pick(h.sims.factCheck, 33).map((id) => toGlobalId('FACT_CHECK', id)),
    ];
    expect(ids).toHaveLength(100);
    const res = await h.gql('query($ids: [ID!]!) { nodes(ids: $ids) { id } }', { ids });
    expect(res.errors).toBeUndefined();
    expect(res.data.nodes.map((n: { id: string }) => n.id)).toEqual(ids);
    expect(
      batchGets(h.sims.reach).length + batchGets(h.sims.gameball).length + batchGets(h.sims.factCheck).length,
    ).toBe(100);
  });

  it("keeps the healthy providers' nodes when one provider fails", async () => {
    h.sims.gameball.control.setFault({ kind: 'http5xx', status: 503 });
    const reach = toGlobalId('REACH', firstId(h.sims.reach, 'done'));
    const gameball = toGlobalId('GAMEBALL', firstId(h.sims.gameball, 'done'));
    // fresh: both finished batches may be in the ledger from earlier tests; this is about a failing read.
    const res = await h.gql('query($ids: [ID!]!) { nodes(ids: $ids, fresh: true) { id } }', { ids: [reach, gameball] });
    expect(res.data.nodes).toEqual([{ id: reach }, null]);
    expect(res.errors).toHaveLength(1);
    expect(res.errors?.[0]).toMatchObject({
      path: ['nodes', 1],
      extensions: { code: 'PROVIDER_UNAVAILABLE', provider: 'GAMEBALL' },
    });
    expect(JSON.stringify(res)).not.toMatch(/SIM-SECRET|127\.0\.0\.1/);
  });
});

describe('Reach pending details', () => {
  const reachGets = () => batchGets(h.sims.reach);

  it('are requested only when the operation selects them', async () => {
    const id = firstId(h.sims.reach, 'pending');
    await h.gql(`{ batch(provider: REACH, providerBatchId: "${id}") { status progress { pending } } }`);
    expect(reachGets().map((r) => r.query.includePendingDetails)).toEqual([undefined]);

    h.resetCounters();
    const res = await h.gql(
      `{ batch(provider: REACH, providerBatchId: "${id}") { isTerminal ...P } } ` +
        'fragment P on ReachBatch { pendingResources(first: 100) { totalCount edges { node { ' +
        'resourceExternalId expiresAt missingDependencies { externalId schemaDefinitionId } } } } pendingExpiresAt }',
    );
    expect(reachGets().map((r) => r.query.includePendingDetails)).toEqual(['true']);
    expect(res.data.batch.isTerminal).toBe(false);
    expect(res.data.batch.pendingResources.edges.length).toBeGreaterThan(0);
    expect(res.data.batch.pendingResources.totalCount).toBe(res.data.batch.pendingResources.edges.length);
    expect(res.data.batch.pendingResources.edges[0].node.missingDependencies.length).toBeGreaterThan(0);
    expect(res.data.batch.pendingExpiresAt).not.toBeNull();
  });
});

describe('bad input', () => {
  it.each([
    ['a malformed id', 'not an id'],
    ['an id of an unknown type', Buffer.from('User:1').toString('base64url')],
    ['a Gameball id that is not a job number', toGlobalId('GAMEBALL', 'abc')],
    ['a Check id without the batch_ prefix', toGlobalId('FACT_CHECK', '12345')],
  ])('node() with %s gets BAD_USER_INPUT and no upstream call', async (_, id) => {
    const res = await h.gql('query($id: ID!) { node(id: $id) { id } }', { id });
    expect(res.status).toBe(200);
    expect(res.data.node).toBeNull();
    expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(
      batchGets(h.sims.gameball).length + batchGets(h.sims.factCheck).length + batchGets(h.sims.reach).length,
    ).toBe(0);
  });

  it.each([
    ['empty', []],
    ['101 ids long', Array.from({ length: 101 }, (_, i) => toGlobalId('GAMEBALL', String(i + 1)))],
  ])('nodes() with an %s list gets BAD_USER_INPUT', async (_, ids) => {
    const res = await h.gql('query($ids: [ID!]!) { nodes(ids: $ids) { id } }', { ids });
    expect(res.status).toBe(200);
    expect(res.data).toBeNull();
    expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('batch() with an id the provider cannot have gets BAD_USER_INPUT', async () => {
    const res = await h.gql('{ batch(provider: GAMEBALL, providerBatchId: "../admin") { id } }');
    expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('masks an unexpected internal failure: no message, path or stack reaches the client', async () => {
    // A programming error inside a provider adapter (not a GatewayError) stands in for any bug.
    const gameball = h.providers.GAMEBALL!;
    const original = gameball.get;
    gameball.get = async () => {
      throw new TypeError(
        'boom: cannot read secretKey=sk_live_XYZ at /srv/batchql/src/providers/gameball/adapter.ts:42',
      );
    };
    try {
      const id = firstId(h.sims.gameball, 'done');
      const res = await h.gql(
        `{ node(id: "${toGlobalId('GAMEBALL', id)}", fresh: true) { id } ` +
          `reach: node(id: "${toGlobalId('REACH', firstId(h.sims.reach, 'done'))}") { id } }`,
      );
      expect(res.status).toBe(200);
      expect(res.data.node).toBeNull();
      expect(res.data.reach).not.toBeNull();
      expect(res.errors).toEqual([
        expect.objectContaining({
          message: 'Unexpected error.',
          path: ['node'],
          extensions: { code: 'INTERNAL_SERVER_ERROR' },
        }),
      ]);
      expect(JSON.stringify(res)).not.toMatch(/boom|sk_live|\.ts:\d+|\/srv\//);
      expect(h.logs.join('\n')).not.toMatch(/sk_live_XYZ/);
    } finally {
      gameball.get = original;
    }
  });
});
