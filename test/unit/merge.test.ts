import { describe, expect, it } from 'vitest';
import type { Batch } from '../../src/domain/batch.js';
import type { FactCheckBatch } from '../../src/providers/factcheck/model.js';
import type { ListPage, PageRef } from '../../src/domain/listing.js';
import {
  MAX_PAGES_PER_SOURCE,
  mergeForward,
  type ListSource,
  type Positions,
  type Totals,
} from '../../src/graphql/connections/merge.js';

/** The merge engine on in-memory offset lists whose content shifts between pages. */
function batch(id: string, createdAt: number): FactCheckBatch {
  return {
    provider: 'FACT_CHECK',
    providerBatchId: id,
    status: 'SUCCEEDED',
    providerStatus: 'completed',
    isTerminal: true,
    progress: { total: 1, processed: 1, succeeded: 1, failed: 0, pending: 0, percent: 100 },
    createdAt: new Date(createdAt),
    startedAt: null,
    completedAt: null,
    errorMessage: null,
    observedAt: new Date(0),
    name: null,
    inputFormat: null,
    originalFileName: null,
    methods: [],
    context: null,
    totalCostCents: null,
    totalInputTokens: null,
    totalOutputTokens: null,
    validationErrors: [],
    expiresAt: null,
  } satisfies FactCheckBatch;
}

function offsetSource(rows: () => Batch[]): ListSource & { calls: PageRef[] } {
  const calls: PageRef[] = [];
  return {
    calls,
    provider: 'FACT_CHECK',
    exact: true,
    offsetBased: true,
    firstToken: 0,
    async fetch(ref): Promise<ListPage> {
      calls.push(ref);
      const all = rows();
      const offset = Number(ref.token);
      const items = all.slice(offset, offset + ref.size);
      return { items, next: offset + ref.size < all.length ? offset + items.length : null, total: all.length };
    },
  };
}

const ORDER = { field: 'CREATED_AT', direction: 'DESC' } as const;

describe('mergeForward over an offset list', () => {
  it('skips batches that shifted down when new ones were created between pages', async () => {
    let rows = Array.from({ length: 10 }, (_, i) => batch(`b${i}`, 1_000 - i));
    const source = offsetSource(() => rows);
    const p1 = await mergeForward({
      sources: [source],
      positions: null,
      totals: null,
      first: 4,
      filter: {},
      order: ORDER,
    });
    expect(p1.edges.map((e) => e.node.providerBatchId)).toEqual(['b0', 'b1', 'b2', 'b3']);
    // Two new batches arrive at the top: offsets shift by two.
    rows = [batch('new1', 2_000), batch('new0', 1_500), ...rows];
    const last = p1.edges.at(-1)!;
    const p2 = await mergeForward({
      sources: [source],
      positions: last.positions as Positions,
      totals: last.totals as Totals,
      first: 4,
      filter: {},
      order: ORDER,
    });
    expect(p2.edges.map((e) => e.node.providerBatchId)).toEqual(['b4', 'b5', 'b6', 'b7']);
  });

  it('does not repeat batches that share a creation time when the list shifts', async () => {
    let rows = [
      batch('b0', 1_000),
      batch('b1', 999),
      batch('b2', 998),
      batch('b3', 998),
      batch('b4', 997),
      batch('b5', 996),
    ];
    const source = offsetSource(() => rows);
    const p1 = await mergeForward({
      sources: [source],
      positions: null,
      totals: null,
      first: 4,
      filter: {},
      order: ORDER,
    });
    expect(p1.edges.map((e) => e.node.providerBatchId)).toEqual(['b0', 'b1', 'b2', 'b3']);
    rows = [batch('n1', 2_000), batch('n0', 1_500), ...rows];
    const last = p1.edges.at(-1)!;
    const p2 = await mergeForward({
      sources: [source],
      positions: last.positions as Positions,
      totals: last.totals as Totals,
      first: 4,
      filter: {},
      order: ORDER,
    });
    expect(p2.edges.map((e) => e.node.providerBatchId)).toEqual(['b4', 'b5']);
  });

  it('keeps the failing provider position and reports it', async () => {
    const broken: ListSource = {
      provider: 'REACH',
      exact: true,
      offsetBased: false,
      firstToken: null,
      fetch: () => Promise.reject(new Error('down')),
    };
    const healthy = offsetSource(() => Array.from({ length: 3 }, (_, i) => batch(`b${i}`, 100 - i)));
    const page = await mergeForward({
      sources: [broken, healthy],
      positions: null,
      totals: null,
      first: 5,
      filter: {},
      order: ORDER,
    });
    expect(page.edges).toHaveLength(3);
    expect(page.failures.map((f) => f.provider)).toEqual(['REACH']);
    expect(page.edges.at(-1)!.positions.REACH).toEqual({ t: null, n: 5, k: 0 });
    expect(page.hasNextPage).toBe(true);
  });
});

describe('mergeForward with a provider filtered in the gateway', () => {
  const ORDER_DESC = { field: 'CREATED_AT', direction: 'DESC' } as const;
  // Check: 1,500 running batches, then failed ones; the filter wants failed (gateway-side).
  const check = Array.from({ length: 1_600 }, (_, i) => ({
    ...batch(`c${i}`, 2_000_000 - i),
    status: i < 1_500 ? ('RUNNING' as const) : ('FAILED' as const),
  }));
  const reach = Array.from({ length: 40 }, (_, i) => ({
    ...batch(`r${i}`, 1_990_000 - i * 10_000),
    provider: 'REACH' as const,
    status: 'FAILED' as const,
  }));
  const source = (provider: 'REACH' | 'FACT_CHECK', rows: Batch[], exact: boolean): ListSource => ({
    provider,
    exact,
    offsetBased: true,
    firstToken: 0,
    async fetch(ref) {
      const offset = Number(ref.token);
      const items = rows.slice(offset, offset + ref.size);
      return { items, next: offset + ref.size < rows.length ? offset + items.length : null, total: rows.length };
    },
  });

  it(
    'stops the page at the read cap instead of emitting later batches out of order, ' +
      'and resumes from where it stopped',
    async () => {
      const sources = [source('REACH', reach as Batch[], false), source('FACT_CHECK', check as Batch[], false)];
      const filter = { statuses: ['FAILED' as const] };
      const seen: string[] = [];
      let positions: Positions | null = null;
      let totals: Totals | null = null;
      for (let page = 0; page < 50; page++) {
        const got = await mergeForward({ sources, positions, totals, first: 5, filter, order: ORDER_DESC });
        seen.push(...got.edges.map((e) => e.node.providerBatchId));
        if (!got.hasNextPage) break;
        positions = got.resume.positions;
        totals = got.resume.totals;
      }
      const expected = [...reach, ...check.filter((b) => b.status === 'FAILED')]
        .sort((a, b) => b.createdAt!.getTime() - a.createdAt!.getTime())
        .map((b) => b.providerBatchId);
      expect(seen).toEqual(expected);
      expect(MAX_PAGES_PER_SOURCE * 100).toBeLessThan(1_500);
    },
  );
});
