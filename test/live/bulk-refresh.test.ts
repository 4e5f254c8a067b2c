import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toGlobalId } from '../../src/domain/global-id.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { subscribe, wsClient, type LiveSubscription } from '../helpers/live-clients.js';
import { until } from '../helpers/until.js';

/**
 * Check's bulk refresh: watched running batches are refreshed through `GET /v1/batch?status=processing`,
 * ⌈processing ÷ 100⌉ list calls a tick however many are watched (and by how many subscribers), and
 * each batch is read on its own once, when it leaves the running set. Counted at the simulator.
 */
let h: Harness;
beforeAll(async () => {
  // 140 batches of the long-running profile: 126 processing, so a walk is two pages of 100.
  h = await startHarness({
    seed: 41,
    batchCount: 140,
    sims: { profile: 'longRunning', durationMs: { min: 20_000, max: 60_000 } },
  });
});
afterAll(async () => {
  await h?.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const WATCH = `subscription ($id: ID!) {
  batch(id: $id) { id status providerStatus progress { processed succeeded failed total } nextRefreshAt }
}`;
const WATCH_DETAILS = `subscription ($id: ID!) {
  batch(id: $id) { id status progress { processed } ... on FactCheckBatch { methods { method weight } } }
}`;

function requests() {
  const all = h.sims.factCheck.control.requests().filter((r) => r.method === 'GET');
  return {
    lists: all.filter((r) => r.path === '/v1/batch'),
    singles: all.filter((r) => /^\/v1\/batch\/batch_[^/]+$/.test(r.path)),
  };
}

/** Check's own count of processing batches, asked directly. */
async function processingTotal(): Promise<number> {
  const res = await fetch(`${h.sims.factCheck.url}/v1/batch?status=processing&limit=1`, {
    headers: { authorization: `Bearer ${h.sims.credentials.factCheck.apiKey}` },
  });
  return ((await res.json()) as { pagination: { total: number } }).pagination.total;
}

async function finalState(id: string) {
  const res = await fetch(`${h.sims.factCheck.url}/v1/batch/${id}`, {
    headers: { authorization: `Bearer ${h.sims.credentials.factCheck.apiKey}` },
  });
  return (await res.json()) as { status: string; processedItems: number; successCount: number; failureCount: number };
}

describe('bulk refresh through the Check list', () => {
  it('reads a batch on its own first when its subscription selects fields the list lacks', async () => {
    const running = h.sims.factCheck.control.idsByState().running!;
    const id = running.at(-1)!;
    h.sims.factCheck.control.resetCounters();
    const client = wsClient(h.url);
    // Ten more watched batches, so the list (two pages) costs less than reading them one by one.
    const others = running
      .slice(-11, -1)
      .map((other) => subscribe(client, WATCH, { id: toGlobalId('FACT_CHECK', other) }));
    const sub = subscribe(client, WATCH_DETAILS, { id: toGlobalId('FACT_CHECK', id) });
    await sub.waitForEvents(1, 5_000);
    await Promise.all(others.map((o) => o.waitForEvents(1, 5_000)));
    expect(sub.events[0].batch.methods.length).toBeGreaterThan(0);
    expect(requests().singles.filter((r) => r.path.endsWith(id))).toHaveLength(1);
    // Then the list keeps it fresh, and the detail fields stay.
    h.clock.advance(1_500);
    await until(() => sub.events.length >= 2, 3_000, 'a refresh from the list');
    expect(sub.events.at(-1).batch.status).toBe('RUNNING');
    expect(sub.events.at(-1).batch.methods).toEqual(sub.events[0].batch.methods);
    expect(requests().singles.filter((r) => r.path.endsWith(id))).toHaveLength(1);
    expect(requests().lists.length).toBeGreaterThan(0);
    // The others were never read on their own.
    expect(requests().singles.filter((r) => !r.path.endsWith(id))).toHaveLength(0);
    for (const o of others) o.close();
    sub.close();
    await until(() => h.hub.stats().watchedKeys === 0, 2_000, 'watches ended');
    await client.dispose();
  });

  it('costs ⌈processing ÷ 100⌉ list calls a tick for 40 watched batches, one read each as they finish', async () => {
    const processing = await processingTotal();
    expect(processing).toBeGreaterThan(100);
    expect(processing).toBeLessThanOrEqual(200);
    const pagesPerWalk = Math.ceil(processing / 100);
    h.sims.factCheck.control.resetCounters();
    const ids = h.sims.factCheck.control.idsByState().running!.slice(0, 40);
    expect(ids).toHaveLength(40);
    const client = wsClient(h.url);
    // Two subscribers per batch: the cost is per batch, not per subscriber.
    const subs: { id: string; sub: LiveSubscription }[] = ids.flatMap((id) =>
      [0, 1].map(() => ({ id, sub: subscribe(client, WATCH, { id: toGlobalId('FACT_CHECK', id) }) })),
    );
    await Promise.all(subs.map((s) => s.sub.waitForEvents(1, 10_000)));
    // Every first state came from the list: no batch was read on its own.
    expect(requests().singles).toHaveLength(0);

    // The clock stands still: every tick walks the same processing set.
    h.sims.factCheck.control.resetCounters();
    await sleep(600);
    const { lists, singles } = requests();
    expect(singles).toHaveLength(0);
    expect(lists.every((r) => r.query.status === 'processing' && r.query.limit === '100')).toBe(true);
    const walks = lists.filter((r) => r.query.offset === '0').length;
    expect(walks).toBeGreaterThanOrEqual(3);
    // Each walk is exactly ⌈processing ÷ 100⌉ pages (the last one may still be under way).
    expect(lists.length).toBeGreaterThan((walks - 1) * pagesPerWalk);
    expect(lists.length).toBeLessThanOrEqual(walks * pagesPerWalk);
    expect(new Set(lists.map((r) => r.query.offset))).toEqual(
      new Set(Array.from({ length: pagesPerWalk }, (_, i) => String(i * 100))),
    );
    // nextRefreshAt names the next walk.
    const last = subs[0]!.sub.events.at(-1)!.batch;
    expect(Date.parse(last.nextRefreshAt)).toBeGreaterThan(0);

    // Run every batch to its end.
    h.sims.factCheck.control.resetCounters();
    for (let i = 0; i < 100 && subs.some((s) => !s.sub.isEnded()); i++) {
      h.clock.advance(2_000);
      await sleep(150);
    }
    expect(subs.filter((s) => !s.sub.isEnded() || s.sub.errors.length > 0).map((s) => s.id)).toEqual([]);
    // At most one read of its own per batch that left the running set.
    const perBatch = new Map<string, number>();
    for (const r of requests().singles) {
      const id = r.path.split('/').at(-1)!;
      perBatch.set(id, (perBatch.get(id) ?? 0) + 1);
    }
    expect(perBatch.size).toBeLessThanOrEqual(40);
    expect([...perBatch.entries()].filter(([, n]) => n !== 1)).toEqual([]);
    expect([...perBatch.keys()].every((id) => ids.includes(id))).toBe(true);
    // Every subscriber saw its batch finish with the final counts Check reports.
    for (const { id, sub } of subs) {
      const final = await finalState(id);
      const seen = sub.events.at(-1)!.batch;
      expect(seen.providerStatus).toBe(final.status);
      expect(seen.progress).toMatchObject({
        processed: final.processedItems,
        succeeded: final.successCount,
        failed: final.failureCount,
      });
      expect(seen.nextRefreshAt).toBeNull();
    }
    await until(() => h.hub.stats().watchedKeys === 0, 2_000, 'watches ended');
    await client.dispose();
  });
});
