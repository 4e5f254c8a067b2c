/**
 * Expired Check batches (issue 31, docs/ledger.md "Expired batches") through the real gateway and the real Check
 * simulator in its expiry mode: a batch read while finished, then gone at its `expiresAt`, is still answered from
 * its last reading, marked `expired`; an id batchql never saw is still NOT_FOUND.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { simulatorEnv } from '../../src/dev/gateway-env.js';
import { toGlobalId } from '../../src/domain/global-id.js';
import { startGateway } from '../../src/runtime.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { closeLedgerStores, LEDGER_STORES } from '../helpers/ledger-stores.js';
import { sseClient, subscribe } from '../helpers/live-clients.js';

const TTL_MS = 3_600_000;
let h: Harness;
let storeEnv: Record<string, string>;
afterAll(() => closeLedgerStores());

const FIELDS = `id status isTerminal expired servedFrom observedAt progress { total processed succeeded failed }
  ... on FactCheckBatch { expiresAt completedAt }`;
const byId = (id: string, fresh = false) =>
  h.gql(`{ batch(provider: FACT_CHECK, providerBatchId: "${id}", fresh: ${fresh}) { ${FIELDS} } }`);
const byNode = (id: string, fresh = false) =>
  h.gql(`{ node(id: "${toGlobalId('FACT_CHECK', id)}", fresh: ${fresh}) { ... on Batch { ${FIELDS} } } }`);
/** Check's own answer for a batch now (status only). */
const upstream = async (id: string) =>
  (
    await fetch(`${h.sims.factCheck.url}/v1/batch/${id}`, {
      headers: { authorization: `Bearer ${h.sims.credentials.factCheck.apiKey}` },
    })
  ).status;
const reads = (id: string) =>
  h.sims.factCheck.control.requests().filter((r) => r.method === 'GET' && r.path === `/v1/batch/${id}`).length;
const finishOf = (id: string) => h.sims.factCheck.control.changedAt(id, Number.MAX_SAFE_INTEGER)!;

describe.each(LEDGER_STORES)('with the $name store', (store) => {
  /** The batch read while finished, then expired; and its last reading through the gateway. */
  let id: string;
  let last: Record<string, unknown>;

  beforeAll(async () => {
    storeEnv = await store.env();
    h = await startHarness({ env: storeEnv, sims: { factCheckExpiry: { ttlMs: TTL_MS } } });
  }, 60_000);
  afterAll(() => h.close());

  it('answers a batch read while finished from its last reading once Check no longer has it', async () => {
    id = [...h.sims.factCheck.control.idsByState().running!].sort((a, b) => finishOf(a) - finishOf(b))[0]!;
    h.clock.set(finishOf(id) + 10);
    const finished = await byId(id);
    expect(finished.errors).toBeUndefined();
    last = finished.data.batch;
    expect(last).toMatchObject({ isTerminal: true, expired: false, servedFrom: 'PROVIDER' });
    expect(Date.parse(last.expiresAt as string)).toBe(Date.parse(last.completedAt as string) + TTL_MS);

    h.clock.set(Date.parse(last.expiresAt as string));
    expect(await upstream(id)).toBe(404);
    h.resetCounters();
    const expired = { ...last, expired: true, servedFrom: 'LEDGER' };
    // Finished and whole: the ledger answers without asking Check, and knows it is past its expiresAt.
    expect((await byId(id)).data.batch).toEqual(expired);
    expect((await byNode(id)).data.node).toEqual(expired);
    expect(reads(id)).toBe(0);
    // Asked fresh, Check answers 404: the last reading still answers, same counts and status.
    for (const answer of [await byId(id, true), await byNode(id, true)]) {
      expect(answer.errors).toBeUndefined();
      expect(Object.values(answer.data)[0]).toEqual(expired);
    }
    expect(reads(id)).toBe(2);
    // Its timeline says when batchql learnt Check no longer has it: once, however often it was asked.
    const timeline = await h.gql(
      `{ node(id: "${toGlobalId('FACT_CHECK', id)}") { ... on Batch {
        timeline(kinds: [EXPIRED]) { edges { node { kind } } } } } }`,
    );
    expect(timeline.errors).toBeUndefined();
    expect(timeline.data.node.timeline.edges).toEqual([{ node: { kind: 'EXPIRED' } }]);
    // Its items are read from Check's results, which are gone with it.
    const items = await h.gql(
      `{ batch(provider: FACT_CHECK, providerBatchId: "${id}") {
        ... on FactCheckBatch { items(first: 1) { edges { node { itemIndex } } } } } }`,
    );
    expect(items.errors?.[0]).toMatchObject({ path: ['batch', 'items'], extensions: { code: 'NOT_FOUND' } });
  });

  it('answers an expired batch from the store too (another gateway on the same ledger)', async () => {
    await h.running.ledger!.flushNow();
    const again = await startGateway(
      loadConfig({ ...simulatorEnv(h.sims), PORT: '0', ...storeEnv, AUTH_MODE: 'none', LOG_LEVEL: 'silent' }),
      { host: '127.0.0.1', now: h.clock.now },
    );
    try {
      for (const fresh of [false, true]) {
        const res = await fetch(`http://127.0.0.1:${again.port}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            query: `{ node(id: "${toGlobalId('FACT_CHECK', id)}", fresh: ${fresh}) { ... on Batch { ${FIELDS} } } }`,
          }),
        });
        const body = (await res.json()) as { data: { node: unknown }; errors?: unknown };
        expect(body.errors).toBeUndefined();
        expect(body.data.node).toEqual({ ...last, expired: true, servedFrom: 'LEDGER' });
      }
    } finally {
      await again.close();
    }
  });

  it('ends a subscription to an expired batch with its last reading', async () => {
    const client = sseClient(h.url);
    try {
      const sub = subscribe(client, `subscription($id: ID!) { batch(id: $id) { status expired isTerminal } }`, {
        id: toGlobalId('FACT_CHECK', id),
      });
      await sub.ended;
      expect(sub.errors).toEqual([]);
      expect(sub.events.at(-1)).toEqual({ batch: { status: last.status, expired: true, isTerminal: true } });
    } finally {
      await client.dispose();
    }
  });

  it('answers NOT_FOUND for a batch it never saw, expired at Check or never there', async () => {
    const done = h.sims.factCheck.control.idsByState().done!;
    const unseen = done.find((x) => x !== id && finishOf(x) + TTL_MS <= h.clock.now())!;
    expect(await upstream(unseen)).toBe(404);
    for (const missing of [unseen, 'batch_000000000000']) {
      for (const answer of [await byId(missing), await byNode(missing, true)]) {
        expect(Object.values(answer.data ?? {})[0] ?? null).toBeNull();
        expect(answer.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
      }
    }
  });
});
