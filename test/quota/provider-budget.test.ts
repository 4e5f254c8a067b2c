import { afterEach, describe, expect, it } from 'vitest';
import { toGlobalId } from '../../src/domain/global-id.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { subscribe, wsClient } from '../helpers/live-clients.js';

/**
 * The per-provider request budget, against simulators that enforce the documented quotas with
 * 429s, on a clock that runs in real time like the gateway's. Each test lasts well under a minute,
 * so Check's per-minute window is one window for the whole test.
 */
let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const NODE = `query ($id: ID!) { node(id: $id) { id ... on Batch { status } } }`;

describe('a provider under its documented quota', () => {
  it.each([
    ['through the list (bulk refresh): no batch goes 10 s without a fresh reading', 'true'],
    ['one batch at a time (LIVE_BULK_REFRESH=false): every interval stretches evenly', 'false'],
  ])(
    'keeps 40 watched Check batches and steady queries inside 200/min, nothing refused, %s',
    async (_, bulk) => {
      h = await startHarness({
        batchCount: 120,
        realTime: true,
        sims: { factCheckPlan: 'pro', profile: 'longRunning' },
        env: { FACTCHECK_RATE_LIMIT: '', FACTCHECK_PLAN: 'pro', LIVE_BULK_REFRESH: bulk },
      });
      const running = h.sims.factCheck.control.idsByState().running!.slice(0, 40);
      expect(running).toHaveLength(40);
      const client = wsClient(h.url);
      const subs = running.map((id) =>
        subscribe(
          client,
          `subscription ($id: ID!) { batch(id: $id) { id observedAt nextRefreshAt progress { processed } } }`,
          { id: toGlobalId('FACT_CHECK', id) },
        ),
      );
      // Every watched batch gets its first state.
      await Promise.all(subs.map((s) => s.waitForEvents(1, 10_000)));
      // One interactive query every 250 ms for 12 s while 40 streams want a reading every 40 ms.
      const from = Date.now();
      const interactive: { ok: boolean; code?: unknown }[] = [];
      const ids = h.sims.factCheck.control.idsByState().done!;
      for (let i = 0; i < 48; i++) {
        const res = await h.gql(NODE, { id: toGlobalId('FACT_CHECK', ids[i % ids.length]!) });
        interactive.push({ ok: !res.errors, code: res.errors?.[0]?.extensions?.code });
        await new Promise((r) => setTimeout(r, 250));
      }
      const to = Date.now();
      expect(h.sims.factCheck.control.refused()).toBe(0);
      expect(interactive.filter((r) => !r.ok)).toEqual([]);
      // The budget held: at most the plan's 200 in the simulator's one window, first reads and polls included.
      expect(h.sims.factCheck.control.totalRequests()).toBeLessThanOrEqual(200);
      const announced = subs.map((s) => {
        const last = s.events.at(-1).batch;
        return Date.parse(last.nextRefreshAt) - Date.parse(last.observedAt);
      });
      expect(subs.every((s) => !s.isEnded() && s.errors.length === 0)).toBe(true);
      if (bulk === 'true') {
        // No watched batch went more than 10 s without a fresh reading (published as `observedAt`).
        for (const s of subs) {
          const seen = s.events.map((e) => Date.parse(e.batch.observedAt)).filter((t) => t >= from);
          const marks = [from, ...seen, to];
          const gaps = marks.slice(1).map((t, i) => t - marks[i]!);
          expect(Math.max(...gaps), `gaps of ${s.events[0].batch.id}`).toBeLessThanOrEqual(10_000);
        }
        // A walk every few hundred ms rather than every 40 ms: the scheduler fitted it to the budget.
        expect(Math.min(...announced)).toBeGreaterThan(200);
      } else {
        // 40 batches on their own share 140 background calls a minute: every interval stretched
        // evenly from 40 ms to about 40 × 60 / 140 s ≈ 17 s, and each stream says so in nextRefreshAt.
        expect(Math.min(...announced)).toBeGreaterThan(10_000);
        expect(Math.max(...announced)).toBeLessThan(30_000);
        expect(Math.max(...announced) / Math.min(...announced)).toBeLessThan(1.6);
      }
      for (const s of subs) s.close();
      await client.dispose();
    },
    60_000,
  );

  it('adapts when X-RateLimit-Remaining drops because of traffic from outside the gateway', async () => {
    h = await startHarness({
      batchCount: 60,
      realTime: true,
      sims: { factCheckPlan: 'free' },
      env: { FACTCHECK_RATE_LIMIT: '', FACTCHECK_PLAN: 'free', UPSTREAM_BUDGET_WAIT_MS: '200' },
    });
    const ids = h.sims.factCheck.control.idsByState().done!;
    // Someone else spends 15 of the Free plan's 20 requests.
    for (let i = 0; i < 15; i++)
      await fetch(`${h.sims.factCheck.url}/v1/batch/${ids[0]}`, {
        headers: { authorization: `Bearer ${h.sims.credentials.factCheck.apiKey}` },
      });
    const codes: unknown[] = [];
    for (let i = 0; i < 10; i++) {
      const res = await h.gql(NODE, { id: toGlobalId('FACT_CHECK', ids[i + 1]!) });
      codes.push(res.errors?.[0]?.extensions?.code ?? 'ok');
    }
    // The first answer tells the gateway how much is left; it never sends what the provider would refuse.
    expect(h.sims.factCheck.control.refused()).toBe(0);
    expect(codes.filter((c) => c === 'ok')).toHaveLength(5);
    expect(codes.slice(5)).toEqual(Array(5).fill('PROVIDER_RATE_LIMITED'));
    const refusal = await h.gql(NODE, { id: toGlobalId('FACT_CHECK', ids[20]!) });
    expect(refusal.errors?.[0]?.extensions).toMatchObject({ code: 'PROVIDER_RATE_LIMITED', provider: 'FACT_CHECK' });
    expect(Number(refusal.errors?.[0]?.extensions?.retryAfterMs)).toBeGreaterThan(0);
  });

  it("respects Gameball's per-second window during a burst of interactive reads", async () => {
    h = await startHarness({
      batchCount: 120,
      realTime: true,
      sims: { gameballRateLimits: 'documented' },
      // 28 rather than the documented 30 a second: the simulator counts a request when it arrives, a few
      // ms after the gateway took its budget, so one may land in the next second; the margin absorbs that.
      env: {
        GAMEBALL_RATE_LIMIT: '28/1s,360/30s',
        // Queries may use 90 % of each window here (no streams run), so 75 reads fit in a few seconds.
        UPSTREAM_INTERACTIVE_SHARE: '0.9',
        UPSTREAM_BUDGET_WAIT_MS: '5000',
        UPSTREAM_PER_REQUEST_CONCURRENCY: '100',
      },
    });
    const t0 = Date.now();
    const ids = Object.values(h.sims.gameball.control.idsByState()).flat().slice(0, 75);
    const res = await h.gql(`query ($ids: [ID!]!) { nodes(ids: $ids) { id } }`, {
      ids: ids.map((id) => toGlobalId('GAMEBALL', id)),
    });
    expect(res.errors).toBeUndefined();
    expect(res.data.nodes.filter(Boolean)).toHaveLength(75);
    expect(h.sims.gameball.control.refused()).toBe(0);
    // 75 reads at 28 a second cannot all have gone in the first second: the budget spread them.
    expect(Date.now() - t0).toBeGreaterThanOrEqual(2_000);
  });
});
