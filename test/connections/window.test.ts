import { connectionFromArray, offsetToCursor } from 'graphql-relay';
import { describe, expect, it } from 'vitest';
import { pageArgs, windowOf } from '../../src/graphql/connections/window.js';

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
              expect(ours, JSON.stringify({ total, first, last, after, before })).toEqual(reference.edges.map((e) => e.node));
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
