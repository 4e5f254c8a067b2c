/**
 * Search and counts with tenants (issue 31, docs/ledger.md "Counts, filters and search"), on both stores: a
 * tenant finds and counts the batches it may list, and only those. Gameball batches (no list upstream) are the
 * tenant's when it submitted or read them; Reach batches are its own tenant's; Check batches are every tenant's.
 * A timeline's writes name their subject to the writing tenant only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, JWT_TEST_ENV } from '../helpers/auth.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { closeLedgerStores, LEDGER_STORES } from '../helpers/ledger-stores.js';

let h: Harness;
afterAll(() => closeLedgerStores());

const as = async (o: Parameters<typeof bearer>[0]) => ({ authorization: await bearer(o) });
const alice = () => as({ tenant: 'tenant-a', subject: 'alice', scope: 'batches:write' });
const bob = () => as({ tenant: 'tenant-b', subject: 'bob', scope: 'batches:write' });

const SUBMIT = `mutation($input: SubmitGameballBatchInput!) {
  submitGameballBatch(input: $input) { batch { id providerBatchId } userErrors { code } } }`;

async function search(text: string, headers: Record<string, string>): Promise<string[]> {
  const r = await h.gql(
    `query($q: String!) { batches(first: 100, filter: { search: $q }) { edges { node { id } } } }`,
    { q: text },
    headers,
  );
  expect(r.errors).toBeUndefined();
  return r.data.batches.edges.map((e: { node: { id: string } }) => e.node.id);
}

async function counted(provider: string, text: string, headers: Record<string, string>): Promise<number> {
  const r = await h.gql(
    `query($q: String!) { batchCounts(filter: { search: $q }) { byProvider { provider count } } }`,
    { q: text },
    headers,
  );
  expect(r.errors).toBeUndefined();
  return r.data.batchCounts.byProvider.find((p: { provider: string }) => p.provider === provider)?.count ?? 0;
}

describe.each(LEDGER_STORES)('with the $name store', (store) => {
  beforeAll(async () => {
    h = await startHarness({ env: { ...JWT_TEST_ENV, ...(await store.env()) } });
  }, 60_000);
  afterAll(() => h.close());

  it('finds a Gameball batch for the tenant that submitted it, not for another, until that one reads it', async () => {
    const made = await h.gql(
      SUBMIT,
      { input: { orders: [{ customerId: 'c-1', orderId: 'o-s', orderDate: '2026-11-01T10:00:00Z', totalPaid: 5 }] } },
      await alice(),
    );
    const { id, providerBatchId } = made.data.submitGameballBatch.batch;
    expect(await search(providerBatchId, await alice())).toEqual([id]);
    expect(await counted('GAMEBALL', providerBatchId, await alice())).toBe(1);
    expect(await search(providerBatchId, await bob())).toEqual([]);
    expect(await counted('GAMEBALL', providerBatchId, await bob())).toBe(0);
    // A global id is read as `node` reads it: bob may read a Gameball id, so he finds it, and lists it from then on.
    expect(await search(id, await bob())).toEqual([id]);
    expect(await search(providerBatchId, await bob())).toEqual([id]);
    // The write is in its timeline; who made it is alice's tenant's to see.
    const writes = async (headers: Record<string, string>) =>
      (
        await h.gql(
          `{ node(id: "${id}") { ... on Batch { timeline(kinds: [WRITE]) { edges { node {
            ... on TimelineWriteEvent { mutation subject } } } } } } }`,
          undefined,
          headers,
        )
      ).data.node.timeline.edges.map((e: { node: unknown }) => e.node);
    expect(await writes(await alice())).toEqual([{ mutation: 'submitGameballBatch', subject: 'alice' }]);
    expect(await writes(await bob())).toEqual([{ mutation: 'submitGameballBatch', subject: null }]);
  });

  it("keeps a tenant's Reach batches to that tenant, and finds Check batches for every tenant", async () => {
    const reach = await h.gql(
      '{ reachBatches(first: 1) { edges { node { id providerBatchId } } } }',
      undefined,
      await alice(),
    );
    const own = reach.data.reachBatches.edges[0].node;
    expect(await search(own.providerBatchId, await alice())).toEqual([own.id]);
    expect(await search(own.providerBatchId, await bob())).toEqual([]);
    expect(await counted('REACH', own.providerBatchId, await bob())).toBe(0);

    const check = await h.gql(
      '{ factCheckBatches(first: 1) { edges { node { id providerBatchId } } } }',
      undefined,
      await alice(),
    );
    const shared = check.data.factCheckBatches.edges[0].node;
    expect(await search(shared.providerBatchId, await bob())).toEqual([shared.id]);
    expect(await counted('FACT_CHECK', shared.providerBatchId, await bob())).toBe(1);
  });
});
