import { connectionFromArray, offsetToCursor } from 'graphql-relay';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness.js';

/**
 * Walks the merged `batches` list page by page against the simulators and checks every page
 * against graphql-relay's connectionFromArray over the expected ordered data, plus the exact
 * upstream request counts docs/schema.md promises.
 */
let h: Harness;
let reachDesc: Row[];
let checkDesc: Row[];
const NOW = Date.parse('2026-11-01T12:00:00Z');

/**
 * The expected data is read straight from the simulators' HTTP lists and mapped here, without
 * the gateway's adapters, so a bug in an adapter's list mapping cannot hide in both sides.
 */
interface Row {
  provider: 'REACH' | 'FACT_CHECK';
  providerBatchId: string;
  status: string;
  providerStatus: string;
  batchType?: string;
  pendingRecords?: number;
  createdAt: Date | null;
  startedAt: Date | null;
  completedAt: Date | null;
}
const date = (v: unknown) => (typeof v === 'string' ? new Date(v) : null);

async function rawReach(sortBy: string, direction: string): Promise<Row[]> {
  const rows: Row[] = [];
  let cursor: string | null = null;
  do {
    const qs = new URLSearchParams({ limit: '100', sortBy, sortDirection: direction, ...(cursor ? { cursor } : {}) });
    const res = await fetch(`${h.sims.reach.url}/api/batches?${qs}`, {
      headers: {
        authorization: `Bearer ${h.sims.credentials.reach.token}`,
        'reach-tenant-id': h.sims.credentials.reach.tenantId,
      },
    });
    const body = (await res.json()) as { data: { results: any[]; pagination: { cursor: string | null } } };
    for (const r of body.data.results) {
      const word: string = r.status;
      const status =
        { processing: 'RUNNING', success: 'SUCCEEDED', partial_success: 'PARTIALLY_SUCCEEDED', failure: 'FAILED' }[
          word
        ] ?? 'UNKNOWN';
      rows.push({
        provider: 'REACH',
        providerBatchId: r.batchId,
        status,
        providerStatus: word,
        batchType: r.batchType,
        pendingRecords: r.progress?.pendingRecords,
        createdAt: date(r.createdAt),
        startedAt: date(r.startedAt),
        completedAt: date(r.completedAt),
      });
    }
    cursor = body.data.pagination.cursor;
  } while (cursor);
  return rows;
}

async function rawCheck(): Promise<Row[]> {
  const rows: Row[] = [];
  for (let offset = 0; ; offset += 100) {
    const res = await fetch(`${h.sims.factCheck.url}/v1/batch?limit=100&offset=${offset}`, {
      headers: { authorization: `Bearer ${h.sims.credentials.factCheck.apiKey}` },
    });
    const body = (await res.json()) as { data: any[]; pagination: { hasMore: boolean } };
    for (const r of body.data) {
      const word: string = r.status;
      const status =
        word === 'completed'
          ? r.failureCount > 0
            ? 'PARTIALLY_SUCCEEDED'
            : 'SUCCEEDED'
          : ({
              pending: 'QUEUED',
              validating: 'RUNNING',
              processing: 'RUNNING',
              failed: 'FAILED',
              cancelled: 'CANCELLED',
            }[word] ?? 'UNKNOWN');
      rows.push({
        provider: 'FACT_CHECK',
        providerBatchId: r.id,
        status,
        providerStatus: word,
        createdAt: date(r.createdAt),
        startedAt: date(r.startedAt),
        completedAt: date(r.completedAt),
      });
    }
    if (!body.pagination.hasMore) return rows;
  }
}

const rank = { REACH: 0, GAMEBALL: 1, FACT_CHECK: 2 } as const;
const key = (b: Row, field: 'createdAt' | 'startedAt' | 'completedAt') => b[field]?.getTime() ?? null;

/** The expected merged order: key (nulls last), provider, then each provider's own order. */
function mergeExpected(lists: Row[][], field: 'createdAt' | 'startedAt' | 'completedAt', dir: 'ASC' | 'DESC'): Row[] {
  const all = lists.flatMap((list) => list.map((b, i) => ({ b, i })));
  all.sort((x, y) => {
    const kx = key(x.b, field);
    const ky = key(y.b, field);
    if (kx !== ky) {
      if (kx === null) return 1;
      if (ky === null) return -1;
      return dir === 'ASC' ? kx - ky : ky - kx;
    }
    return rank[x.b.provider] - rank[y.b.provider] || x.i - y.i;
  });
  return all.map((x) => x.b);
}

const idOf = (b: Row) => `${b.provider}:${b.providerBatchId}`;

const PAGE = /* GraphQL */ `
  query Page($first: Int, $after: String, $last: Int, $before: String, $filter: BatchFilter, $orderBy: BatchOrder) {
    batches(first: $first, after: $after, last: $last, before: $before, filter: $filter, orderBy: $orderBy) {
      totalCount
      excludedProviders {
        provider
        reason
      }
      pageInfo {
        hasNextPage
        hasPreviousPage
        startCursor
        endCursor
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

function listRequests(): { reach: number; check: number } {
  return {
    reach: h.sims.reach.control.counters()['GET /api/batches'] ?? 0,
    check: h.sims.factCheck.control.counters()['GET /v1/batch'] ?? 0,
  };
}

/** Walks forward to the end; checks each page against connectionFromArray; returns ids and per-page request deltas. */
async function walkForward(first: number, variables: Record<string, unknown>, expected: string[]) {
  h.resetCounters();
  h.clearListCache();
  const seen: string[] = [];
  const perPage: { reach: number; check: number }[] = [];
  let after: string | null = null;
  let total: number | null | undefined;
  for (let pages = 0; pages < 1000; pages++) {
    const before = listRequests();
    const res: any = await h.gql(PAGE, { ...variables, first, after });
    expect(res.errors).toBeUndefined();
    const after2 = listRequests();
    perPage.push({ reach: after2.reach - before.reach, check: after2.check - before.check });
    const conn = res.data.batches;
    total = conn.totalCount;
    const reference = connectionFromArray(expected, {
      first,
      after: seen.length === 0 ? undefined : offsetToCursor(seen.length - 1),
    });
    const ids = conn.edges.map((e: any) => `${e.node.provider}:${e.node.providerBatchId}`);
    expect(ids).toEqual(reference.edges.map((e) => e.node));
    expect(conn.pageInfo.hasNextPage).toBe(reference.pageInfo.hasNextPage);
    expect(conn.pageInfo.hasPreviousPage).toBe(false);
    expect(conn.pageInfo.endCursor).toBe(conn.edges.at(-1)?.cursor ?? null);
    seen.push(...ids);
    if (!conn.pageInfo.hasNextPage) break;
    after = conn.pageInfo.endCursor;
  }
  return { seen, perPage, totals: listRequests(), totalCount: total };
}

beforeAll(async () => {
  h = await startHarness({ seed: 11, batchCount: 300 });
  reachDesc = await rawReach('createdAt', 'desc');
  checkDesc = await rawCheck();
});
afterAll(() => h.close());

describe('batches: walking the merged list', () => {
  it.each([7, 20, 100])(
    'visits every batch once, in order, with first: %i and one list request per provider per page',
    async (first) => {
      const expected = mergeExpected([reachDesc, checkDesc], 'createdAt', 'DESC').map(idOf);
      const walk = await walkForward(first, {}, expected);
      expect(walk.seen).toEqual(expected);
      expect(new Set(walk.seen).size).toBe(reachDesc.length + checkDesc.length);
      expect(walk.totalCount).toBe(expected.length);
      // No more upstream requests than walking each provider's own list with the same page size.
      expect(walk.totals.reach).toBe(Math.ceil(reachDesc.length / first));
      expect(walk.totals.check).toBe(Math.ceil(checkDesc.length / first));
      for (const page of walk.perPage) {
        expect(page.reach).toBeLessThanOrEqual(1);
        expect(page.check).toBeLessThanOrEqual(1);
      }
    },
  );

  const cases: {
    name: string;
    first: number;
    filter?: Record<string, unknown>;
    orderBy?: Record<string, string>;
    expected: () => Row[];
    exact: boolean;
    ownWalk: () => { reach: number; check: number };
  }[] = [
    {
      name: 'statuses QUEUED+RUNNING (gateway-side for both)',
      first: 10,
      filter: { statuses: ['QUEUED', 'RUNNING'] },
      expected: () =>
        mergeExpected([reachDesc, checkDesc], 'createdAt', 'DESC').filter(
          (b) => b.status === 'QUEUED' || b.status === 'RUNNING',
        ),
      exact: false,
      ownWalk: () => ({ reach: Math.ceil(reachDesc.length / 10), check: Math.ceil(checkDesc.length / 10) }),
    },
    {
      name: 'statuses FAILED (pushed down to Check as status=failed)',
      first: 15,
      filter: { statuses: ['FAILED'] },
      expected: () => mergeExpected([reachDesc, checkDesc], 'createdAt', 'DESC').filter((b) => b.status === 'FAILED'),
      exact: false,
      ownWalk: () => ({
        reach: Math.ceil(reachDesc.length / 15),
        check: Math.max(1, Math.ceil(checkDesc.filter((b) => b.providerStatus === 'failed').length / 15)),
      }),
    },
    {
      name: 'one Reach batch type (pushed down; Check filtered out)',
      first: 9,
      filter: { reachBatchTypes: ['PARTNER_RESOURCE_BATCH_PATCH'] },
      expected: () => reachDesc.filter((b) => b.provider === 'REACH' && b.batchType === 'PARTNER_RESOURCE_BATCH_PATCH'),
      exact: true,
      ownWalk: () => ({
        reach: Math.ceil(
          reachDesc.filter((b) => b.provider === 'REACH' && b.batchType === 'PARTNER_RESOURCE_BATCH_PATCH').length / 9,
        ),
        check: 0,
      }),
    },
    {
      name: 'hasPendingResources: true (pushed down to Reach)',
      first: 3,
      filter: { hasPendingResources: true },
      expected: () => reachDesc.filter((b) => b.provider === 'REACH' && (b.pendingRecords ?? 0) > 0),
      exact: true,
      ownWalk: () => ({
        reach: Math.max(
          1,
          Math.ceil(reachDesc.filter((b) => b.provider === 'REACH' && (b.pendingRecords ?? 0) > 0).length / 3),
        ),
        check: 0,
      }),
    },
    {
      name: 'createdAfter 10 days ago (stops reading each provider at the bound)',
      first: 25,
      filter: { createdAfter: new Date(NOW - 10 * 86_400_000).toISOString() },
      expected: () =>
        mergeExpected([reachDesc, checkDesc], 'createdAt', 'DESC').filter(
          (b) => b.createdAt!.getTime() >= NOW - 10 * 86_400_000,
        ),
      exact: false,
      ownWalk: () => ({ reach: Math.ceil(reachDesc.length / 25), check: Math.ceil(checkDesc.length / 25) }),
    },
  ];

  it.each(cases)('$name: every matching batch once, in order, within the upstream budget', async (c) => {
    const expected = c.expected().map(idOf);
    expect(expected.length).toBeGreaterThan(0);
    const walk = await walkForward(c.first, { filter: c.filter }, expected);
    expect(walk.seen).toEqual(expected);
    expect(walk.totalCount).toBe(c.exact ? expected.length : null);
    const budget = c.ownWalk();
    expect(walk.totals.reach).toBeLessThanOrEqual(budget.reach);
    expect(walk.totals.check).toBeLessThanOrEqual(budget.check);
  });

  it.each([
    ['STARTED_AT', 'ASC', 'startedAt'],
    ['COMPLETED_AT', 'DESC', 'completedAt'],
  ] as const)(
    'orders by %s %s with Reach pushdown, leaving Check out (it lists newest first only)',
    async (field, direction, prop) => {
      const reach = await rawReach(prop, direction.toLowerCase());
      const expected = mergeExpected([reach], prop, direction).map(idOf);
      expect(reach.map(idOf)).toEqual(expected);
      const walk = await walkForward(20, { orderBy: { field, direction } }, expected);
      expect(walk.seen).toEqual(expected);
      expect(walk.totals.reach).toBe(Math.ceil(reach.length / 20));
      expect(walk.totals.check).toBe(0);
      const res = await h.gql(PAGE, { first: 1, orderBy: { field, direction } });
      // Gameball has no list, but the ledger lists the batches batchql saw (none here), in any order.
      expect(res.data.batches.excludedProviders).toEqual([{ provider: 'FACT_CHECK', reason: 'ORDER_NOT_SUPPORTED' }]);
    },
  );
});

describe('batches: backward paging where the upstream allows it', () => {
  it.each([1, 8, 50])('walks Check alone backward with last: %i, matching connectionFromArray', async (last) => {
    const expected = checkDesc.map(idOf);
    h.resetCounters();
    h.clearListCache();
    const seen: string[] = [];
    let before: string | null = null;
    let startIndex = expected.length;
    for (let pages = 0; pages < 1000; pages++) {
      const res: any = await h.gql(PAGE, { last, before, filter: { providers: ['FACT_CHECK'] } });
      expect(res.errors).toBeUndefined();
      const conn = res.data.batches;
      const reference = connectionFromArray(expected, {
        last,
        before: before === null ? undefined : offsetToCursor(startIndex),
      });
      const ids = conn.edges.map((e: any) => `${e.node.provider}:${e.node.providerBatchId}`);
      expect(ids).toEqual(reference.edges.map((e) => e.node));
      expect(conn.pageInfo.hasPreviousPage).toBe(reference.pageInfo.hasPreviousPage);
      expect(conn.pageInfo.hasNextPage).toBe(false);
      expect(conn.totalCount).toBe(expected.length);
      seen.unshift(...ids);
      startIndex -= ids.length;
      if (!conn.pageInfo.hasPreviousPage) break;
      before = conn.pageInfo.startCursor;
    }
    expect(seen).toEqual(expected);
    // One request per page, plus one for the total on the first page (unless a later page hits it in the cache).
    expect(listRequests().check).toBeGreaterThanOrEqual(Math.ceil(expected.length / last));
    expect(listRequests().check).toBeLessThanOrEqual(Math.ceil(expected.length / last) + 1);
  });

  it('continues forward from a cursor of a backward page', async () => {
    const back: any = await h.gql(PAGE, { last: 5, before: null, filter: { providers: ['FACT_CHECK'] } });
    const middle = back.data.batches.edges[1].cursor;
    const fwd: any = await h.gql(PAGE, { first: 2, after: middle, filter: { providers: ['FACT_CHECK'] } });
    expect(fwd.data.batches.edges.map((e: any) => e.node.providerBatchId)).toEqual(
      back.data.batches.edges.slice(2, 4).map((e: any) => e.node.providerBatchId),
    );
  });

  it('refuses last/before when Reach is in the list (its cursors only go forward)', async () => {
    const res = await h.gql(PAGE, { last: 5 });
    expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(res.errors?.[0]?.message).toMatch(/forward/);
  });
});
