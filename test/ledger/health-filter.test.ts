/**
 * `BatchFilter.health` and `batchCounts.byHealth` (issue 32, docs/live-progress.md "Batch health") on both stores:
 * the health the poll hub's judgments stored, current for `HEALTH_STALL_AFTER_MS`, `UNKNOWN` after it for a running
 * batch, `OK` for every batch that is not running; and `Batch.health` in a query says the same.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Batch, BatchHealth } from '../../src/domain/batch.js';
import { toGlobalId } from '../../src/domain/global-id.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { closeLedgerStores, LEDGER_STORES } from '../helpers/ledger-stores.js';
import { until } from '../helpers/until.js';

let h: Harness;
afterAll(() => closeLedgerStores());

/** How long a stored health counts here: short, so a test sees it turn `UNKNOWN`. */
const VALID_MS = 1_500;
const NODES = `query($ids: [ID!]!) { nodes(ids: $ids) { id ... on Batch { status health healthSince healthReason } } }`;
const LIST = `query($health: [BatchHealth!]) {
  batches(first: 100, filter: { providers: [FACT_CHECK], health: $health }) {
  edges { node { id status health } } } }`;
const COUNTS = `query($health: [BatchHealth!]) { batchCounts(filter: { providers: [FACT_CHECK], health: $health }) {
  total byHealth { health count } } }`;

describe.each(LEDGER_STORES)('with the $name store', (store) => {
  let running: string[];
  let runningIds: string[];
  let finished: string[];
  beforeAll(async () => {
    h = await startHarness({
      seed: 32,
      batchCount: 60,
      env: { HEALTH_STALL_AFTER_MS: String(VALID_MS), ...(await store.env()) },
    });
    const states = h.sims.factCheck.control.idsByState();
    runningIds = states.running!.slice(0, 4);
    running = runningIds.map((id) => toGlobalId('FACT_CHECK', id));
    finished = Object.entries(states)
      .filter(([state]) => state !== 'running' && state !== 'queued')
      .flatMap(([, ids]) => ids)
      .slice(0, 3)
      .map((id) => toGlobalId('FACT_CHECK', id));
    // Read once each: the ledger has their rows.
    const r = await h.gql(NODES, { ids: [...running, ...finished] });
    expect(r.errors).toBeUndefined();
  }, 60_000);
  afterAll(() => h.close());

  /** Stores a judgment of the running batch `i`, as the poll hub publishes it. */
  async function judge(i: number, health: BatchHealth, reason: string | null) {
    const ledger = h.running.ledger!;
    const batch = (await h.providers.FACT_CHECK!.get(runningIds[i]!)) as Batch;
    expect(batch.status).toBe('RUNNING');
    ledger.published(
      { provider: 'FACT_CHECK', scope: 'default', providerBatchId: batch.providerBatchId },
      { ...batch, health, healthSince: new Date(), healthReason: reason },
    );
    await ledger.flushNow();
  }

  it('filters and counts by the health stored, OK for every batch that is not running', async () => {
    await judge(0, 'STALLED', 'no progress for 10 min');
    await judge(1, 'SLOW', '1/s over the last 5 min');
    await judge(2, 'OK', null);
    // Running batch 3 was never judged: UNKNOWN.
    const list = async (health: BatchHealth[]) => {
      const r = await h.gql(LIST, { health });
      expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
      return r.data.batches.edges.map((e: { node: { id: string } }) => e.node.id).sort();
    };
    expect(await list(['STALLED'])).toEqual([running[0]]);
    expect(await list(['SLOW', 'STALLED'])).toEqual([running[0], running[1]].sort());
    const ok = await list(['OK']);
    expect(ok).toContain(running[2]);
    for (const id of finished) expect(ok).toContain(id);
    expect(ok).not.toContain(running[0]);
    expect(await list(['UNKNOWN'])).toContain(running[3]);
    expect(await list([])).toEqual([]);

    const counts = await h.gql(COUNTS, {});
    expect(counts.errors).toBeUndefined();
    const byHealth = Object.fromEntries(
      counts.data.batchCounts.byHealth.map((c: { health: string; count: number }) => [c.health, c.count]),
    );
    expect(Object.keys(byHealth)).toEqual(['OK', 'SLOW', 'STALLED', 'UNKNOWN']);
    expect(byHealth.STALLED).toBe(1);
    expect(byHealth.SLOW).toBe(1);
    expect(byHealth.OK + byHealth.SLOW + byHealth.STALLED + byHealth.UNKNOWN).toBe(counts.data.batchCounts.total);
    // The counts of a health filter are those of its list.
    const stalledCount = await h.gql(COUNTS, { health: ['STALLED', 'SLOW'] });
    expect(stalledCount.data.batchCounts.total).toBe(2);

    // A query says the same of each batch, with the stored reason.
    const nodes = await h.gql(NODES, { ids: [running[0], running[3], finished[0]] });
    expect(nodes.data.nodes[0]).toMatchObject({ health: 'STALLED', healthReason: 'no progress for 10 min' });
    expect(nodes.data.nodes[1]).toMatchObject({ health: 'UNKNOWN', healthSince: null });
    expect(nodes.data.nodes[1].healthReason).toMatch(/nobody watches/);
    expect(nodes.data.nodes[2]).toMatchObject({ health: 'OK', healthReason: null });
  });

  it('turns a stored health nobody judges again UNKNOWN once it is older than the stall threshold', async () => {
    await judge(0, 'STALLED', 'no progress');
    expect((await h.gql(COUNTS, { health: ['STALLED'] })).data.batchCounts.total).toBe(1);
    await until(
      async () => (await h.gql(COUNTS, { health: ['STALLED'] })).data.batchCounts.total === 0,
      VALID_MS * 4,
      'the judgment to run out',
    );
    const r = await h.gql(NODES, { ids: [running[0]] });
    expect(r.data.nodes[0].health).toBe('UNKNOWN');
    // It says since when it is not judged any more: its last judgment.
    expect(r.data.nodes[0].healthSince).not.toBeNull();
    expect((await h.gql(LIST, { health: ['UNKNOWN'] })).data.batches.edges.map((e: any) => e.node.id)).toContain(
      running[0],
    );
  });

  it('refuses an unknown health value with a clear error', async () => {
    const r = await h.gql(LIST, { health: ['WEIRD'] });
    expect(r.errors?.[0]?.message).toMatch(/WEIRD/);
  });
});
