/**
 * The ledger (issue 29, docs/ledger.md) through the real gateway and simulators: Gameball batches listed from
 * it (after a restart too), finished batches answered without upstream calls, a reading that lacks a selected
 * field read through, `fresh`, and the store's path in /ready.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { simulatorEnv } from '../../src/dev/gateway-env.js';
import { toGlobalId } from '../../src/domain/global-id.js';
import { startGateway } from '../../src/runtime.js';
import { startHarness } from '../helpers/harness.js';
import { closeLedgerStores, LEDGER_STORES } from '../helpers/ledger-stores.js';

let h: Awaited<ReturnType<typeof startHarness>>;
/** The store of the suite running: `DATA_DIR` or `DATABASE_URL`. */
let storeEnv: Record<string, string>;
afterAll(() => closeLedgerStores());

const SUBMIT = `mutation($input: SubmitGameballBatchInput!) {
  submitGameballBatch(input: $input) { batch { id providerBatchId } userErrors { code } } }`;
const order = (n: number) => ({
  input: { orders: [{ customerId: `c-${n}`, orderId: `o-${n}`, orderDate: '2026-11-01T10:00:00Z', totalPaid: 5 }] },
});
const GAMEBALL_LIST = `{ batches(first: 50, filter: { providers: [GAMEBALL] }) {
  totalCount excludedProviders { provider reason }
  edges { cursor node { id providerBatchId servedFrom ledger { submittedHere firstSeenAt } } } } }`;

/** Check batches in `status`, by provider id, from the merged list. */
async function checkIds(status: string, first = 10): Promise<string[]> {
  const r = await h.gql(
    `{ batches(first: ${first}, filter: { providers: [FACT_CHECK], statuses: [${status}] }) {
      edges { node { providerBatchId } } } }`,
  );
  expect(r.errors).toBeUndefined();
  return r.data.batches.edges.map((e: { node: { providerBatchId: string } }) => e.node.providerBatchId);
}

const reads = (id: string) =>
  h.sims.factCheck.control.requests().filter((r) => r.method === 'GET' && r.path === `/v1/batch/${id}`).length;

describe.each(LEDGER_STORES)('with the $name store', (store) => {
  beforeAll(async () => {
    storeEnv = await store.env();
    h = await startHarness({ env: storeEnv });
  }, 60_000);
  afterAll(() => h.close());

  describe('Gameball batches are listable', () => {
    it('lists a batch submitted through the gateway, marked as known to batchql, and after a restart', async () => {
      const first = await h.gql(SUBMIT, order(1));
      expect(first.data.submitGameballBatch.userErrors).toEqual([]);
      const { id, providerBatchId } = first.data.submitGameballBatch.batch;
      const listed = await h.gql(GAMEBALL_LIST);
      expect(listed.errors).toBeUndefined();
      expect(listed.data.batches.excludedProviders).toEqual([]);
      const row = listed.data.batches.edges.find((e: any) => e.node.id === id);
      expect(row?.node).toMatchObject({ providerBatchId, servedFrom: 'LEDGER', ledger: { submittedHere: true } });

      // A second gateway on the same DATA_DIR (the first one's file) lists it too: the ledger outlives a restart.
      await h.running.ledger!.flushNow();
      const again = await startGateway(
        loadConfig({ ...simulatorEnv(h.sims), PORT: '0', ...storeEnv, AUTH_MODE: 'none', LOG_LEVEL: 'silent' }),
        {
          host: '127.0.0.1',
        },
      );
      try {
        const res = await fetch(`http://127.0.0.1:${again.port}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query: GAMEBALL_LIST }),
        });
        const body = (await res.json()) as any;
        expect(body.errors).toBeUndefined();
        expect(body.data.batches.edges.map((e: any) => e.node.id)).toContain(id);
      } finally {
        await again.close();
      }
    });

    it('orders ledger rows newest first by submission and keeps cursors stable as rows are added', async () => {
      const ids: string[] = [];
      for (let n = 10; n < 14; n++) ids.push((await h.gql(SUBMIT, order(n))).data.submitGameballBatch.batch.id);
      const page1 = await h.gql(
        `{ batches(first: 2, filter: { providers: [GAMEBALL] }) {
          pageInfo { endCursor hasNextPage } edges { node { id } } } }`,
      );
      expect(page1.data.batches.edges.map((e: any) => e.node.id)).toEqual([ids[3], ids[2]]);
      // A batch added after the first page does not shift the next one.
      await h.gql(SUBMIT, order(20));
      const page2 = await h.gql(
        `{ batches(first: 2, after: "${page1.data.batches.pageInfo.endCursor}", filter: { providers: [GAMEBALL] }) {
          edges { node { id } } } }`,
      );
      expect(page2.errors).toBeUndefined();
      expect(page2.data.batches.edges.map((e: any) => e.node.id)).toEqual([ids[1], ids[0]]);
    });

    it('merges ledger rows with the listing providers in one order, each edge once across pages', async () => {
      type Node = { id: string; provider: string; createdAt: string | null; ledger: { firstSeenAt: string } | null };
      const all: Node[] = [];
      let after: string | null = null;
      for (let page = 0; page < 40; page++) {
        const r: any = await h.gql(
          `query($after: String) { batches(first: 25, after: $after) { pageInfo { endCursor hasNextPage }
            edges { node { id provider createdAt ledger { firstSeenAt } } } } }`,
          { after },
        );
        expect(r.errors).toBeUndefined();
        all.push(...r.data.batches.edges.map((e: { node: Node }) => e.node));
        if (!r.data.batches.pageInfo.hasNextPage) break;
        after = r.data.batches.pageInfo.endCursor;
      }
      expect(new Set(all.map((n) => n.id)).size).toBe(all.length);
      const gameball = (await h.gql(GAMEBALL_LIST)).data.batches.edges.map((e: any) => e.node.id);
      expect(gameball.length).toBeGreaterThan(4);
      expect(all.filter((n) => n.provider === 'GAMEBALL').map((n) => n.id)).toEqual(gameball);
      // One order across providers: newest first by creation, or by first sight where the provider gives none.
      const keys = all.map((n) => Date.parse(n.createdAt ?? n.ledger!.firstSeenAt));
      for (let i = 1; i < keys.length; i++) expect(keys[i]).toBeLessThanOrEqual(keys[i - 1]!);
    });
  });

  describe('finished batches cost nothing', () => {
    it('reads a finished batch 100 times with one upstream call, and `fresh` reads it again', async () => {
      const [id] = await checkIds('SUCCEEDED');
      h.resetCounters();
      const global = toGlobalId('FACT_CHECK', id!);
      for (let i = 0; i < 100; i++) {
        const r = await h.gql(`{ node(id: "${global}") { ... on Batch { status servedFrom observedAt } } }`);
        expect(r.errors).toBeUndefined();
        expect(r.data.node.status).toBe('SUCCEEDED');
      }
      // The list row came first; the first read by id has what a row lacks, every later one is the ledger's.
      expect(reads(id!)).toBeLessThanOrEqual(1);
      const served = await h.gql(`{ node(id: "${global}") { ... on Batch { servedFrom } } }`);
      expect(served.data.node.servedFrom).toBe('LEDGER');
      const before = reads(id!);
      const fresh = await h.gql(`{ node(id: "${global}", fresh: true) { ... on Batch { servedFrom } } }`);
      expect(fresh.data.node.servedFrom).toBe('PROVIDER');
      expect(reads(id!)).toBe(before + 1);
    });

    it('answers from a list row only the fields a row has, and reads the batch for one it lacks', async () => {
      const ids = await checkIds('FAILED', 5);
      const id = ids.at(-1)!;
      h.resetCounters();
      const global = toGlobalId('FACT_CHECK', id);
      const slim = await h.gql(`{ node(id: "${global}") { ... on Batch { status servedFrom } } }`);
      expect(slim.data.node).toEqual({ status: 'FAILED', servedFrom: 'LEDGER' });
      expect(reads(id)).toBe(0);
      // errorMessage is not in Check's list rows: the batch is read once, then answered from the fuller reading.
      const full = await h.gql(`{ node(id: "${global}") { ... on Batch { errorMessage servedFrom } } }`);
      expect(full.data.node.servedFrom).toBe('PROVIDER');
      expect(reads(id)).toBe(1);
      const again = await h.gql(`{ node(id: "${global}") { ... on Batch { errorMessage servedFrom } } }`);
      expect(again.data.node.servedFrom).toBe('LEDGER');
      expect(reads(id)).toBe(1);
    });

    it('still reads a running batch every time', async () => {
      const [id] = await checkIds('RUNNING');
      h.resetCounters();
      const global = toGlobalId('FACT_CHECK', id!);
      for (let i = 0; i < 3; i++) await h.gql(`{ node(id: "${global}") { ... on Batch { status } } }`);
      expect(reads(id!)).toBe(3);
    });

    it('counts ledger answers in /metrics and shows the store in /ready', async () => {
      const base = h.url.replace('/graphql', '');
      const ready = (await (await fetch(`${base}/ready`)).json()) as any;
      expect(ready.ledger).toMatchObject({ state: 'ok', writeFailures: 0 });
      expect(ready.ledger.location).toContain(storeEnv.DATA_DIR ?? new URL(storeEnv.DATABASE_URL!).pathname);
      const metrics = await (await fetch(`${base}/metrics`)).text();
      expect(metrics).toMatch(/batchql_ledger_served_total\{provider="FACT_CHECK",from="memory"\} [1-9]/);
      expect(metrics).toMatch(/batchql_ledger_writes_total\{kind="batch"\} [1-9]/);
    });
  });
});

describe('the upstream cost estimate', () => {
  it('counts reads the ledger answers as zero, and `fresh` ones again', async () => {
    const small = await startHarness({ env: { MAX_UPSTREAM_CALLS_PER_REQUEST: '2' } });
    try {
      const ids = small.sims.factCheck.control
        .idsByState()
        .done!.slice(0, 3)
        .map((id) => toGlobalId('FACT_CHECK', id));
      expect(ids).toHaveLength(3);
      // Each read once (one call each, within the cap): now the ledger holds them, finished.
      for (const id of ids) expect((await small.gql(`{ node(id: "${id}") { id } }`)).errors).toBeUndefined();
      const NODES = 'query($ids: [ID!]!, $fresh: Boolean) { nodes(ids: $ids, fresh: $fresh) { id } }';
      // The ledger answers all three, so three ids fit a cap of two calls; asked fresh, they do not.
      const free = await small.gql(NODES, { ids });
      expect(free.errors).toBeUndefined();
      expect(free.data.nodes.map((n: { id: string }) => n.id)).toEqual(ids);
      const fresh = await small.gql(NODES, { ids, fresh: true });
      expect(fresh.errors?.[0]?.extensions?.code).toBe('QUERY_TOO_COMPLEX');
    } finally {
      await small.close();
    }
  });
});
