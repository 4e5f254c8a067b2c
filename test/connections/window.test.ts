import { connectionFromArray, offsetToCursor } from 'graphql-relay';
import { describe, expect, it } from 'vitest';
import { fetchWindow, pageArgs, windowOf } from '../../src/graphql/connections/window.js';

/** Differential test: our Relay window arithmetic against graphql-relay's reference implementation. */
describe('windowOf vs graphql-relay connectionFromArray', () => {
  const sizes = [0, 1, 2, 5, 17];
  const counts = [null, 1, 2, 3, 5, 20];
  it('agrees on edges and page info for every first/after/last/before combination', () => {
    let cases = 0;
    for (const total of sizes) {
      const data = Array.from({ length: total }, (_, i) => i);
      const indices = [null, ...data];
      for (const first of counts)
        for (const last of counts)
          for (const after of indices)
            for (const before of indices) {
              if (first === null && last === null) continue;
              const reference = connectionFromArray(data, {
                first: first ?? undefined,
                last: last ?? undefined,
                after: after === null ? undefined : offsetToCursor(after),
                before: before === null ? undefined : offsetToCursor(before),
              });
              const w = windowOf({ first, last, afterIndex: after, beforeIndex: before }, total);
              const ours = data.slice(w.start, w.end);
              expect(ours, JSON.stringify({ total, first, last, after, before })).toEqual(
                reference.edges.map((e) => e.node),
              );
              expect({ hasNextPage: w.hasNextPage, hasPreviousPage: w.hasPreviousPage }).toEqual({
                hasNextPage: reference.pageInfo.hasNextPage,
                hasPreviousPage: reference.pageInfo.hasPreviousPage,
              });
              cases++;
            }
    }
    expect(cases).toBeGreaterThan(5000);
  });
});

describe('pageArgs', () => {
  it('defaults to first: 20 and accepts 1..100', () => {
    expect(pageArgs({})).toMatchObject({ first: 20, last: null });
    expect(pageArgs({ last: 5 })).toMatchObject({ first: null, last: 5 });
    expect(pageArgs({ first: 100 }).first).toBe(100);
  });
  it.each([0, -1, 101, 1.5])('refuses %s with BAD_USER_INPUT', (n) => {
    expect(() => pageArgs({ first: n })).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT' }));
    expect(() => pageArgs({ last: n })).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT' }));
  });
});

describe('fetchWindow vs graphql-relay over a remote offset list', () => {
  it('reads the same slices with at most two requests, one unless the total is needed first', async () => {
    for (const total of [0, 1, 7, 30]) {
      const data = Array.from({ length: total }, (_, i) => i);
      const indices = [null, ...data.filter((i) => i % 3 === 0)];
      for (const first of [null, 1, 4])
        for (const last of [null, 1, 5])
          for (const after of indices)
            for (const before of indices) {
              if (first === null && last === null) continue;
              const calls: [number, number][] = [];
              const got = await fetchWindow({ first, last, after, before }, async (offset, limit) => {
                calls.push([offset, limit]);
                return { items: data.slice(offset, offset + limit), total };
              });
              const reference = connectionFromArray(data, {
                first: first ?? undefined,
                last: last ?? undefined,
                after: after === null ? undefined : offsetToCursor(after),
                before: before === null ? undefined : offsetToCursor(before),
              });
              const label = JSON.stringify({ total, first, last, after, before });
              expect(got.items, label).toEqual(reference.edges.map((e) => e.node));
              expect(got.window.hasNextPage, label).toBe(reference.pageInfo.hasNextPage);
              expect(got.window.hasPreviousPage, label).toBe(reference.pageInfo.hasPreviousPage);
              expect(got.total).toBe(total);
              expect(calls.length, label).toBeLessThanOrEqual(
                last !== null && before === null ? 2 : 1 + (got.items.length === 0 ? 1 : 0),
              );
            }
    }
  });

  it("resolves 'end' (a cursor past the last item) against the total", async () => {
    const data = Array.from({ length: 9 }, (_, i) => i);
    const got = await fetchWindow({ first: null, last: 3, after: null, before: 'end' }, async (offset, limit) => ({
      items: data.slice(offset, offset + limit),
      total: data.length,
    }));
    expect(got.items).toEqual([5, 6, 7]);
  });
});
