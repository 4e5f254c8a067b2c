import { afterEach, describe, expect, it } from 'vitest';
import { toGlobalId } from '../../src/domain/global-id.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { until } from '../helpers/until.js';

/**
 * The background watch within the budget (issue 32, docs/live-progress.md "Background watching"): 300 submitted
 * Check batches, watched with nobody connected, against a simulator that enforces the Pro plan (200 calls a
 * minute) with 429s, on a real-time clock. The simulator's one window covers the whole test, so its total is what
 * the window holds. Through the list they cost a few pages a tick; read one by one they stretch to the budget.
 */
let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const NODE = `query ($id: ID!) { node(id: $id) { id ... on Batch { status health } } }`;
const WATCHED = 300;

/** A harness whose ledger lists 300 running Check batches as submitted through batchql. */
async function withSubmissions(bulk: string): Promise<{ harness: Harness; ids: string[] }> {
  const harness = await startHarness({
    batchCount: 700,
    realTime: true,
    sims: { factCheckPlan: 'pro', profile: 'longRunning' },
    env: {
      FACTCHECK_RATE_LIMIT: '',
      FACTCHECK_PLAN: 'pro',
      LIVE_BULK_REFRESH: bulk,
      // A background tick every second instead of 30 s: the budget, not the pace, is what holds it back here.
      LIVE_POLL_BACKGROUND_MS: '1000',
      WATCH_BACKGROUND_SCAN_MS: '200',
    },
  });
  h = harness;
  const ledger = harness.running.ledger!;
  const ids = harness.sims.factCheck.control.idsByState().running!.slice(0, WATCHED);
  expect(ids).toHaveLength(WATCHED);
  // Recorded as submissions straight into the ledger (its rows as list rows show them): 300 submits through the
  // API would spend the interactive share for minutes before the test could begin.
  let token: string | number | null = 0;
  const rows = new Map<string, Awaited<ReturnType<NonNullable<Harness['providers']['FACT_CHECK']>['get']>>>();
  while (token !== null) {
    const page = await harness.providers.FACT_CHECK!.listPage!({}, { size: 100, token }, {});
    for (const b of page.items) rows.set(b.providerBatchId, b);
    token = page.next;
  }
  for (const id of ids)
    ledger.submitted(rows.get(id)!, { scope: 'default', lacks: [] }, { subject: 'pipeline', tenant: null });
  await ledger.flushNow();
  harness.resetCounters();
  await until(() => harness.hub.stats().backgroundWatches === WATCHED, 10_000, 'all 300 watched');
  return { harness, ids };
}

describe('the background watch under the Pro plan', () => {
  it('reads 300 submitted batches through the list at a few pages a tick, nothing refused', async () => {
    const { harness, ids } = await withSubmissions('true');
    await new Promise((r) => setTimeout(r, 6_000));
    // Every one was read (its health judged from a reading), through pages rather than one by one.
    const judged = harness.hub.health!.counts(Date.now()).filter((c) => c.provider === 'FACT_CHECK');
    expect(judged.reduce((n, c) => n + c.count, 0)).toBe(WATCHED);
    const counters = harness.sims.factCheck.control.counters();
    expect(counters['GET /v1/batch/:id'] ?? 0).toBeLessThan(10);
    expect(counters['GET /v1/batch'] ?? 0).toBeGreaterThanOrEqual(6);
    expect(harness.sims.factCheck.control.refused()).toBe(0);
    // Each batch's health is judged: a query tells it without an upstream call of its own.
    const r = await harness.gql(NODE, { id: toGlobalId('FACT_CHECK', ids[0]!) });
    expect(r.data.node.health).not.toBe('UNKNOWN');
  }, 60_000);

  it('stretches 300 batches read one by one to the background share, and queries keep theirs', async () => {
    const { harness } = await withSubmissions('false');
    const others = harness.sims.factCheck.control.idsByState().running!.slice(WATCHED);
    const interactive: unknown[] = [];
    // 12 s of steady queries while 300 batches want a read every second.
    for (let i = 0; i < 24; i++) {
      const res = await harness.gql(NODE, { id: toGlobalId('FACT_CHECK', others[i]!) });
      interactive.push(res.errors?.[0]?.extensions?.code ?? 'ok');
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(interactive.filter((c) => c !== 'ok')).toEqual([]);
    expect(harness.sims.factCheck.control.refused()).toBe(0);
    // The window's 200 hold the 24 queries and the background reads: the background share is 70 % (140), paced.
    const total = harness.sims.factCheck.control.totalRequests();
    expect(total).toBeLessThanOrEqual(200);
    expect(total - 24).toBeLessThanOrEqual(140);
    // Demand was far beyond it: the scheduler stretched every interval (300 reads a second against 140 a minute).
    expect(harness.hub.scheduler('FACT_CHECK').stretch()).toBeGreaterThan(100);
  }, 60_000);
});
