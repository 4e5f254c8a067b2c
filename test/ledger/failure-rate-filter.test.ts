/**
 * `BatchFilter.failureRateAbove` (groundwork of the operator console's "needs attention", issue 34) on both stores:
 * the batches whose latest reading in the ledger has failed ÷ processed above the threshold, exactly those, in
 * lists and counts alike; batches with nothing processed never match; a threshold out of range is refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness.js';
import { closeLedgerStores, LEDGER_STORES } from '../helpers/ledger-stores.js';

let h: Harness;
afterAll(() => closeLedgerStores());

type Row = { id: string; progress: { processed: number; failed: number } };
const ALL = `{ batches(first: 100, filter: { providers: [FACT_CHECK] }) {
  edges { node { id progress { processed failed } } } } }`;
const ABOVE = `query($x: Float!) {
  batches(first: 100, filter: { providers: [FACT_CHECK], failureRateAbove: $x }) {
    edges { node { id progress { processed failed } } } }
  batchCounts(filter: { providers: [FACT_CHECK], failureRateAbove: $x }) { total } }`;
const rows = (r: { data?: { batches: { edges: { node: Row }[] } } }) => r.data!.batches.edges.map((e) => e.node);

describe.each(LEDGER_STORES)('with the $name store', (store) => {
  let all: Row[];
  beforeAll(async () => {
    h = await startHarness({ seed: 34, batchCount: 60, env: await store.env() });
    // One list walk: every Check batch has a row in the ledger, its latest reading the list's.
    const r = await h.gql(ALL);
    expect(r.errors).toBeUndefined();
    all = rows(r);
    await h.running.ledger!.flushNow();
  }, 60_000);
  afterAll(() => h.close());

  it.each([0, 0.05, 0.2])('lists and counts exactly the batches above %s', async (x) => {
    const r = await h.gql(ABOVE, { x });
    expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
    const expected = all.filter((b) => b.progress.processed > 0 && b.progress.failed / b.progress.processed > x);
    expect(
      rows(r)
        .map((b) => b.id)
        .sort(),
    ).toEqual(expected.map((b) => b.id).sort());
    expect(r.data.batchCounts.total).toBe(expected.length);
    // Both sides of the threshold are represented in the data set, so the comparison says something.
    if (x === 0.05) {
      expect(expected.length).toBeGreaterThan(0);
      expect(all.some((b) => b.progress.processed > 0 && !expected.includes(b))).toBe(true);
    }
  });

  it('refuses a threshold out of range', async () => {
    for (const x of [-0.1, 1, 2.5]) {
      const r = await h.gql(ABOVE, { x });
      expect(r.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(r.errors?.[0]?.message).toMatch(/failureRateAbove/);
    }
  });
});
