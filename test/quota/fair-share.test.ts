import { afterEach, describe, expect, it } from 'vitest';
import { toGlobalId } from '../../src/domain/global-id.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { subscribe, wsClient } from '../helpers/live-clients.js';

/**
 * Each client's fair share of a provider's budget, against a Check simulator that enforces the Pro plan
 * (200 calls a window) with 429s, on a real-time clock. The window is 10 s here instead of a minute, so a
 * test sees whole windows: the interactive part is 60 calls a window, a client's share 15 while others wait.
 */
let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const WINDOW_MS = 10_000;
const start = (env: Record<string, string> = {}) =>
  startHarness({
    batchCount: 400,
    realTime: true,
    sims: { factCheckPlan: 'pro', factCheckRateLimitWindowMs: WINDOW_MS, profile: 'longRunning' },
    env: {
      FACTCHECK_PLAN: 'pro',
      FACTCHECK_RATE_LIMIT: `200/${WINDOW_MS}ms`,
      TRUST_PROXY: '1',
      UPSTREAM_BUDGET_WAIT_MS: '2000',
      ...env,
    },
  });
const as = (address: string) => ({ 'x-forwarded-for': address });
const NODE = `query ($id: ID!) { node(id: $id) { id } }`;
const NODES = `query ($ids: [ID!]!) { nodes(ids: $ids) { id } }`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("one client's fair share of a provider's budget", () => {
  it("refuses a request that cannot fit, before any call; other clients' queries and streams are served", async () => {
    h = await start();
    const all = Object.values(h.sims.factCheck.control.idsByState()).flat();
    const running = h.sims.factCheck.control.idsByState().running![0]!;
    const stream = subscribe(wsClient(h.url), `subscription ($id: ID!) { batch(id: $id) { observedAt stale } }`, {
      id: toGlobalId('FACT_CHECK', running),
    });
    await stream.waitForEvents(1, 10_000);
    h.resetCounters();

    // 200 Check reads in one request: more than one request can get in its 20 s deadline (60 a window, 3 windows).
    const hog = await h.gql(
      NODES,
      { ids: all.slice(0, 200).map((id) => toGlobalId('FACT_CHECK', id)) },
      as('203.0.113.66'),
    );
    expect(hog.errors?.map((e) => e.extensions?.code)).toEqual(['PROVIDER_BUDGET_EXCEEDED']);
    expect(hog.errors?.[0]?.extensions).toMatchObject({ provider: 'FACT_CHECK', estimate: 200, limit: 180 });
    expect(h.sims.factCheck.control.counters()['GET /v1/batch/:id'] ?? 0).toBe(0);

    // Meanwhile the hog keeps sending what fits (40 reads at a time), and a victim one read a second.
    let hogging = true;
    const hogLoop = (async () => {
      let n = 0;
      while (hogging) {
        const ids = all.slice(200 + (n % 4) * 40, 240 + (n % 4) * 40).map((id) => toGlobalId('FACT_CHECK', id));
        n++;
        await h!.gql(NODES, { ids }, as('203.0.113.66'));
      }
    })();
    const victim: (string | undefined)[] = [];
    for (let i = 0; i < 10; i++) {
      const r = await h.gql(NODE, { id: toGlobalId('FACT_CHECK', all[i]!) }, as('198.51.100.7'));
      victim.push(r.errors?.[0]?.extensions?.code as string | undefined);
      await sleep(1_000);
    }
    hogging = false;
    await hogLoop;
    const readingsDuring = stream.events.length;
    stream.close();
    // Every victim query was served, the simulator refused nothing, and the stream kept being read.
    expect(victim.filter((code) => code !== undefined)).toEqual([]);
    expect(h.sims.factCheck.control.refused()).toBe(0);
    expect(readingsDuring).toBeGreaterThan(1);
  }, 60_000);

  it('lets a lone client use at least 80 % of the interactive part of a window', async () => {
    h = await start();
    const all = Object.values(h.sims.factCheck.control.idsByState()).flat();
    h.resetCounters();
    const from = Date.now();
    let served = 0;
    // Reads of 20 batches at a time, back to back, for one window.
    for (let n = 0; Date.now() - from < WINDOW_MS - 500; n++) {
      const ids = all.slice((n * 20) % 380, ((n * 20) % 380) + 20).map((id) => toGlobalId('FACT_CHECK', id));
      const r = await h.gql(NODES, { ids }, as('192.0.2.1'));
      served += (r.data?.nodes ?? []).filter(Boolean).length;
    }
    // The interactive part is 60 a window (30 % of 200); polls keep the rest.
    expect(served).toBeGreaterThanOrEqual(48);
    expect(h.sims.factCheck.control.refused()).toBe(0);
  }, 30_000);
});
