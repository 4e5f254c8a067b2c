import { connectionFromArray, offsetToCursor } from 'graphql-relay';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness.js';

/** Cursor hygiene, page-size limits, partial results, the per-provider lists and nested connections. */
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ seed: 5, batchCount: 200 });
});
afterAll(() => h.close());
beforeEach(() => {
  h.resetCounters();
  h.clearListCache();
});

const LIST = /* GraphQL */ `
  query L($first: Int, $after: String, $last: Int, $before: String, $filter: BatchFilter, $orderBy: BatchOrder) {
    batches(first: $first, after: $after, last: $last, before: $before, filter: $filter, orderBy: $orderBy) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
        startCursor
      }
      edges {
        cursor
        node {
          provider
          providerBatchId
        }
      }
    }
  }
`;

async function endCursor(variables: Record<string, unknown> = {}): Promise<string> {
  const res = await h.gql(LIST, { first: 3, ...variables });
  expect(res.errors).toBeUndefined();
  return res.data.batches.pageInfo.endCursor;
}

function expectBadInput(
  res: { status: number; errors?: { extensions?: Record<string, unknown>; message: string }[] },
  message?: RegExp,
) {
  expect(res.status).toBe(200);
  expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  if (message) expect(res.errors?.[0]?.message).toMatch(message);
}

describe('cursors', () => {
  it('refuses a tampered cursor', async () => {
    const cursor = await endCursor();
    const [body, mac] = cursor.split('.') as [string, string];
    const payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    payload.p.s.REACH = { t: null, n: 3, k: 0 };
    const forged = `${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${mac}`;
    expectBadInput(await h.gql(LIST, { first: 3, after: forged }), /malformed or altered/);
    const flipped = cursor.slice(0, -2) + (cursor.endsWith('A') ? 'B' : 'A') + cursor.slice(-1);
    expectBadInput(await h.gql(LIST, { first: 3, after: flipped }));
  });

  it.each([
    ['a different filter', { filter: { statuses: ['RUNNING'] } }],
    ['a different order', { orderBy: { field: 'CREATED_AT', direction: 'ASC' } }],
    ['a different provider set', { filter: { providers: ['REACH'] } }],
  ])('refuses a cursor reused with %s', async (_, variables) => {
    const cursor = await endCursor();
    expectBadInput(await h.gql(LIST, { first: 3, after: cursor, ...variables }), /different list, filter or order/);
  });

  it('refuses a cursor of another list field', async () => {
    const res = await h.gql('{ factCheckBatches(first: 2) { pageInfo { endCursor } } }');
    const cursor = res.data.factCheckBatches.pageInfo.endCursor;
    expectBadInput(
      await h.gql(LIST, { first: 3, after: cursor, filter: { providers: ['FACT_CHECK'] } }),
      /different list/,
    );
  });

  it.each(['', 'abc', 'abc.def', '....', 'x'.repeat(5000), offsetToCursor(3), '%%%.###'])(
    'refuses the malformed cursor %#',
    async (cursor) => {
      expectBadInput(await h.gql(LIST, { first: 3, after: cursor }));
      expectBadInput(await h.gql(LIST, { last: 3, before: cursor, filter: { providers: ['FACT_CHECK'] } }));
    },
  );

  it('costs no upstream request when the cursor is refused', async () => {
    await h.gql(LIST, { first: 3, after: 'nope' });
    expect(h.sims.reach.control.totalRequests() + h.sims.factCheck.control.totalRequests()).toBe(0);
  });
});

describe('page sizes', () => {
  it.each([
    [{ first: 0 }],
    [{ first: 101 }],
    [{ first: -5 }],
    [{ last: 0, filter: { providers: ['FACT_CHECK'] } }],
    [{ last: 101, filter: { providers: ['FACT_CHECK'] } }],
  ])('refuses %j', async (variables) => {
    expectBadInput(await h.gql(LIST, variables), /from 1 to 100/);
  });

  it('defaults to 20 edges', async () => {
    const res = await h.gql('{ batches { edges { cursor } } }');
    expect(res.data.batches.edges).toHaveLength(20);
  });
});

describe('providers that cannot list', () => {
  it('answers the ledger rows when filtered to Gameball alone: none seen yet, and no upstream call', async () => {
    const res = await h.gql(
      '{ batches(filter: { providers: [GAMEBALL] }) { totalCount edges { cursor } ' +
        'excludedProviders { provider reason message } } }',
    );
    expect(res.errors).toBeUndefined();
    expect(res.data.batches).toEqual({ totalCount: 0, edges: [], excludedProviders: [] });
    expect((res as any).extensions?.warnings).toBeUndefined();
    expect(h.sims.gameball.control.totalRequests()).toBe(0);
  });

  it('with LEDGER=off, answers an empty connection and a note when filtered to Gameball alone', async () => {
    const off = await startHarness({ env: { LEDGER: 'off' } });
    try {
      const res = await off.gql(
        '{ batches(filter: { providers: [GAMEBALL] }) { totalCount edges { cursor } ' +
          'excludedProviders { provider reason message } } }',
      );
      expect(res.errors).toBeUndefined();
      expect(res.data.batches).toMatchObject({
        totalCount: 0,
        edges: [],
        excludedProviders: [{ provider: 'GAMEBALL', reason: 'CANNOT_LIST' }],
      });
      expect((res as any).extensions.warnings).toEqual([
        expect.objectContaining({ code: 'PROVIDER_CANNOT_LIST', provider: 'GAMEBALL', path: ['batches'] }),
      ]);
      expect(off.sims.gameball.control.totalRequests()).toBe(0);
    } finally {
      await off.close();
    }
  });
});

describe('partial results', () => {
  it('keeps Reach edges and names Check when Check fails, then resumes Check from the cursor', async () => {
    h.sims.factCheck.control.setFault({ kind: 'http5xx', status: 503 });
    const res = await h.gql(LIST, { first: 5 });
    expect(res.data.batches.edges).toHaveLength(5);
    expect(res.data.batches.edges.every((e: any) => e.node.provider === 'REACH')).toBe(true);
    expect(res.data.batches.totalCount).toBeNull();
    expect(res.errors).toEqual([
      expect.objectContaining({
        path: ['batches'],
        extensions: expect.objectContaining({ code: 'PROVIDER_UNAVAILABLE', provider: 'FACT_CHECK' }),
      }),
    ]);
    expect(JSON.stringify(res)).not.toMatch(/SIM-SECRET|10\.0\.3\.7|sk_live/);
    h.sims.factCheck.control.clearFaults();
    const next = await h.gql(LIST, { first: 5, after: res.data.batches.pageInfo.endCursor });
    expect(next.errors).toBeUndefined();
    expect(next.data.batches.edges.some((e: any) => e.node.provider === 'FACT_CHECK')).toBe(true);
  });

  it('fails reachBatches as a whole when Reach fails (nothing healthy to keep)', async () => {
    h.sims.reach.control.setFault({ kind: 'rateLimit', retryAfterSeconds: 7 });
    const res = await h.gql('{ reachBatches(first: 2) { edges { cursor } } }');
    expect(res.data).toBeNull();
    expect(res.errors?.[0]?.extensions).toMatchObject({
      code: 'PROVIDER_RATE_LIMITED',
      provider: 'REACH',
      retryAfterMs: 7000,
    });
  });
});

describe('per-provider lists', () => {
  it('reachBatches pushes one batch type down and pages forward only', async () => {
    const res = await h.gql(
      '{ reachBatches(first: 4, filter: { batchTypes: [PARTNER_RESOURCE_JSON_INGEST] }, ' +
        'orderBy: { field: STARTED_AT, direction: ASC }) ' +
        '{ totalCount pageInfo { hasNextPage } edges { node { batchType startedAt } } } }',
    );
    expect(res.errors).toBeUndefined();
    expect(res.data.reachBatches.edges.every((e: any) => e.node.batchType === 'PARTNER_RESOURCE_JSON_INGEST')).toBe(
      true,
    );
    const started = res.data.reachBatches.edges.map((e: any) => Date.parse(e.node.startedAt));
    expect(started).toEqual([...started].sort((a, b) => a - b));
    const request = h.sims.reach.control.requests().find((r) => r.path === '/api/batches');
    expect(request?.query).toMatchObject({
      batchType: 'PARTNER_RESOURCE_JSON_INGEST',
      sortBy: 'startedAt',
      sortDirection: 'asc',
      limit: '4',
    });
    expect(res.data.reachBatches.totalCount).toBeGreaterThan(4);
    expectBadInput(await h.gql('{ reachBatches(last: 4) { edges { cursor } } }'), /forward/);
  });

  it('reachBatches asks Reach for pending details only when they are selected', async () => {
    await h.gql(
      '{ reachBatches(first: 2, filter: { hasPendingResources: true }) { edges { node { pendingRecords } } } }',
    );
    await h.gql(
      '{ reachBatches(first: 2, filter: { hasPendingResources: true }) ' +
        '{ edges { node { pendingResources(first: 1) { totalCount } } } } }',
    );
    const lists = h.sims.reach.control.requests().filter((r) => r.path === '/api/batches');
    expect(lists.map((r) => [r.query.onlyBatchesWithPendingResources, r.query.includePendingDetails])).toEqual([
      ['true', undefined],
      ['true', 'true'],
    ]);
  });

  it('factCheckBatches pushes a status down and pages both ways', async () => {
    const res = await h.gql(
      '{ factCheckBatches(first: 3, filter: { statuses: [FAILED] }) ' +
        '{ totalCount pageInfo { endCursor } edges { node { status providerStatus } } } }',
    );
    expect(res.errors).toBeUndefined();
    expect(res.data.factCheckBatches.edges.every((e: any) => e.node.status === 'FAILED')).toBe(true);
    expect(h.sims.factCheck.control.requests()[0]?.query).toMatchObject({ status: 'failed', limit: '3', offset: '0' });
    const back = await h.gql(
      `{ factCheckBatches(last: 2, before: "${res.data.factCheckBatches.pageInfo.endCursor}", ` +
        'filter: { statuses: [FAILED] }) { edges { node { providerBatchId } } } }',
    );
    expect(back.errors).toBeUndefined();
    expect(back.data.factCheckBatches.edges).toHaveLength(2);
  });
});

describe('nested connections', () => {
  it('pages Check item results by upstream offsets, like connectionFromArray', async () => {
    const id = h.sims.factCheck.control.idsByState().done![0]!;
    const all = await h.gql(
      `{ batch(provider: FACT_CHECK, providerBatchId: "${id}") { ... on FactCheckBatch { ` +
        'items(first: 100) { totalCount edges { node { ' +
        'itemIndex status statusRaw verdict confidence decision costCents processingTimeMs } } } } } }',
    );
    const total = all.data.batch.items.totalCount;
    expect(total).toBeGreaterThan(4);
    const indices = Array.from({ length: Math.min(total, 100) }, (_, i) => i);
    expect(all.data.batch.items.edges.map((e: any) => e.node.itemIndex)).toEqual(indices);
    // forward two pages, then back from the second page's start
    const q = (args: string) =>
      h.gql(
        `{ batch(provider: FACT_CHECK, providerBatchId: "${id}") { ... on FactCheckBatch { items(${args}) { ` +
          'pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { node { itemIndex } } } } } }',
      );
    const p1 = (await q('first: 3')).data.batch.items;
    const p2 = (await q(`first: 3, after: "${p1.pageInfo.endCursor}"`)).data.batch.items;
    const back = (await q(`last: 2, before: "${p2.pageInfo.startCursor}"`)).data.batch.items;
    const ref = (args: Parameters<typeof connectionFromArray>[1]) =>
      connectionFromArray(
        Array.from({ length: total }, (_, i) => i),
        args,
      );
    expect(p2.edges.map((e: any) => e.node.itemIndex)).toEqual(
      ref({ first: 3, after: offsetToCursor(2) }).edges.map((e) => e.node),
    );
    expect(back.edges.map((e: any) => e.node.itemIndex)).toEqual([1, 2]);
    expect(back.pageInfo.hasPreviousPage).toBe(true);
    const tail = (await q('last: 2')).data.batch.items;
    expect(tail.edges.map((e: any) => e.node.itemIndex)).toEqual([total - 2, total - 1]);
  });

  it('refuses a cursor of another batch', async () => {
    const [a, b] = h.sims.factCheck.control.idsByState().done!;
    const first = await h.gql(
      `{ batch(provider: FACT_CHECK, providerBatchId: "${a}") { ` +
        '... on FactCheckBatch { items(first: 1) { pageInfo { endCursor } } } } }',
    );
    const cursor = first.data.batch.items.pageInfo.endCursor;
    const res = await h.gql(
      `{ batch(provider: FACT_CHECK, providerBatchId: "${b}") { ` +
        `... on FactCheckBatch { items(first: 1, after: "${cursor}") { totalCount } } } }`,
    );
    expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('pages Reach record errors in memory', async () => {
    const id = h.sims.reach.control.idsByState().partial![0]!;
    const q = (args: string) =>
      h.gql(
        `{ batch(provider: REACH, providerBatchId: "${id}") { ... on ReachBatch { recordErrors(${args}) { ` +
          'totalCount pageInfo { hasNextPage endCursor } edges { node { externalId } } } } } }',
      );
    const all = (await q('first: 100')).data.batch.recordErrors;
    expect(all.totalCount).toBeGreaterThan(2);
    const p1 = (await q('first: 2')).data.batch.recordErrors;
    const p2 = (await q(`first: 2, after: "${p1.pageInfo.endCursor}"`)).data.batch.recordErrors;
    expect([...p1.edges, ...p2.edges].map((e: any) => e.node.externalId)).toEqual(
      all.edges.slice(0, 4).map((e: any) => e.node.externalId),
    );
    // A finished batch is read at most once (none when a list page had stored it): the ledger answers the rest.
    expect(h.sims.reach.control.counters()['GET /api/batches/:batchId'] ?? 0).toBeLessThanOrEqual(1);
  });
});
