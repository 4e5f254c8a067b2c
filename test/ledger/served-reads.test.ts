/**
 * Reads the ledger answers (issue 31, docs/ledger.md "Finished batches cost nothing") through the real gateway
 * and the Check simulator, on both stores: a running batch within `maxAge`, and a finished batch's fuller reading
 * kept when a list row of it comes after a restart.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { simulatorEnv } from '../../src/dev/gateway-env.js';
import { startGateway } from '../../src/runtime.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { closeLedgerStores, LEDGER_STORES } from '../helpers/ledger-stores.js';

let h: Harness;
afterAll(() => closeLedgerStores());

const reads = (id: string) =>
  h.sims.factCheck.control.requests().filter((r) => r.method === 'GET' && r.path === `/v1/batch/${id}`).length;
const DETAIL =
  'servedFrom observedAt status progress { processed } errorMessage ... on FactCheckBatch { methods { method } }';

describe.each(LEDGER_STORES)('with the $name store', (store) => {
  let storeEnv: Record<string, string>;
  beforeAll(async () => {
    storeEnv = await store.env();
    h = await startHarness({ env: storeEnv });
  }, 60_000);
  afterAll(() => h.close());

  it('answers a running batch from a reading at most maxAge seconds old, and reads it again once older', async () => {
    const id = [...h.sims.factCheck.control.idsByState().running!][0]!;
    const get = (args: string) =>
      h.gql(`{ batch(provider: FACT_CHECK, providerBatchId: "${id}"${args}) { ${DETAIL} } }`);
    const first = await get('');
    expect(first.data.batch).toMatchObject({ servedFrom: 'PROVIDER', status: 'RUNNING' });
    expect(reads(id)).toBe(1);
    const young = await get(', maxAge: 30');
    expect(young.errors).toBeUndefined();
    // The stored reading, as it was read: no call.
    expect(young.data.batch).toEqual({ ...first.data.batch, servedFrom: 'LEDGER' });
    expect(reads(id)).toBe(1);
    // Without maxAge a running batch is read; that reading makes the stored one young again.
    expect((await get('')).data.batch.servedFrom).toBe('PROVIDER');
    expect(reads(id)).toBe(2);
    // Readings are timed by the wall clock: one second on, a reading is older than `maxAge: 1`.
    await new Promise((r) => setTimeout(r, 1_100));
    const old = await get(', maxAge: 1');
    expect(old.data.batch.servedFrom).toBe('PROVIDER');
    expect(reads(id)).toBe(3);
    for (const bad of [', maxAge: -1', ', maxAge: 86401', ', maxAge: 5, fresh: true']) {
      const r = await get(bad);
      expect(r.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    }
  });

  it("keeps a finished batch's fuller reading when a list row of it comes after a restart", async () => {
    const done = [...h.sims.factCheck.control.idsByState().done!];
    const full = await h.gql(`{ batch(provider: FACT_CHECK, providerBatchId: "${done[0]}") { ${DETAIL} } }`);
    expect(full.data.batch.servedFrom).toBe('PROVIDER');
    await h.running.ledger!.flushNow();
    const again = await startGateway(
      loadConfig({ ...simulatorEnv(h.sims), PORT: '0', ...storeEnv, AUTH_MODE: 'none', LOG_LEVEL: 'silent' }),
      { host: '127.0.0.1', now: h.clock.now },
    );
    const gql = async (query: string) => {
      const res = await fetch(`http://127.0.0.1:${again.port}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query }),
      });
      return (await res.json()) as any;
    };
    try {
      // The new process walks the list: its rows of the batch lack `errorMessage` and `methods`.
      let after: string | null = null;
      do {
        const page: any = await gql(
          `{ factCheckBatches(first: 100${after ? `, after: "${after}"` : ''}) {
            pageInfo { hasNextPage endCursor } edges { node { providerBatchId } } } }`,
        );
        expect(page.errors).toBeUndefined();
        after = page.data.factCheckBatches.pageInfo.hasNextPage ? page.data.factCheckBatches.pageInfo.endCursor : null;
      } while (after);
      await again.ledger!.flushNow();
      h.resetCounters();
      const answer = await gql(`{ batch(provider: FACT_CHECK, providerBatchId: "${done[0]}") { ${DETAIL} } }`);
      expect(answer.errors).toBeUndefined();
      expect(answer.data.batch).toEqual({ ...full.data.batch, servedFrom: 'LEDGER' });
      expect(reads(done[0]!)).toBe(0);
    } finally {
      await again.close();
    }
  });
});
