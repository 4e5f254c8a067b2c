/**
 * The background watch (issue 32, docs/live-progress.md "Background watching"): a batch submitted through the
 * gateway is read until it finishes with nobody connected, on every provider, and its final state and timeline are
 * in the ledger; a submission the ledger lists (another replica's, or from before a restart) is picked up by the
 * scan; beyond `WATCH_BACKGROUND_MAX` a batch is not watched, counted, and its health is `UNKNOWN`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { fromGlobalId } from '../../src/domain/global-id.js';
import type { ProviderName } from '../../src/domain/batch.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { until } from '../helpers/until.js';
import { sseClient, subscribe } from '../helpers/live-clients.js';
import { toGlobalId } from '../../src/domain/global-id.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const FAST_BACKGROUND = { LIVE_POLL_BACKGROUND_MS: '50', WATCH_BACKGROUND_SCAN_MS: '100' };
const SUBMITS: Record<string, string> = {
  submitFactCheckBatch: 'mutation { submitFactCheckBatch(input: { items: [{ content: "x" }, { content: "y" }] }) {',
  submitGameballBatch: `mutation { submitGameballBatch(input: { orders: [{ customerId: "c", orderId: "o-bg",
    orderDate: "2026-11-01T10:00:00Z", totalPaid: 1 }] }) {`,
  submitReachResources:
    'mutation { submitReachResources(input: { schema: "contacts", resources: [{ externalId: "a" }] }) {',
};
const TIMELINE = `query($id: ID!) { node(id: $id) { ... on Batch { status isTerminal servedFrom
  timeline(first: 100, kinds: [STATUS, WRITE]) { edges { node { kind ... on TimelineStatusEvent { status } } } } } } }`;
const metrics = async (url: string) => (await fetch(url.replace(/\/graphql$/, '/metrics'))).text();

async function submit(harness: Harness, field: string): Promise<string> {
  const r = await harness.gql(`${SUBMITS[field]} batch { id status } userErrors { code } } }`);
  expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
  expect(r.data[field].userErrors).toEqual([]);
  return r.data[field].batch.id;
}

/** The ledger's stored reading of the batch of global id `id`. */
async function stored(harness: Harness, id: string) {
  const { provider, providerBatchId } = fromGlobalId(id, Object.keys(harness.providers) as ProviderName[]);
  return harness.running.ledger!.reading({ provider, scope: 'default', providerBatchId });
}

describe('the background watch', () => {
  it('reads a batch submitted with nobody connected until it finishes, on every provider', async () => {
    h = await startHarness({ seed: 32, batchCount: 30, env: FAST_BACKGROUND });
    const ids: string[] = [];
    for (const field of Object.keys(SUBMITS)) ids.push(await submit(h, field));
    expect(h.hub.stats()).toMatchObject({ backgroundWatches: 3, subscribers: 0 });
    expect(await metrics(h.url)).toMatch(/^batchql_background_watches 3$/m);
    const before = h.hub.stats().polls;
    // Simulated time runs on; nobody subscribes or queries.
    const harness = h;
    await until(
      async () => {
        harness.clock.advance(5_000);
        for (const id of ids) if (!(await stored(harness, id))?.terminal) return false;
        return true;
      },
      20_000,
      'every submitted batch read finished',
    );
    await until(() => harness.hub.stats().backgroundWatches === 0, 5_000, 'the background watches to end');
    expect(h.hub.stats().polls).toBeGreaterThan(before);
    for (const id of ids) {
      const r = await h.gql(TIMELINE, { id });
      expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
      const batch = r.data.node;
      // Finished and in the ledger: answered from it, with no upstream call.
      expect(batch).toMatchObject({ isTerminal: true, servedFrom: 'LEDGER' });
      const kinds = batch.timeline.edges.map((e: { node: { kind: string; status?: string } }) => e.node);
      expect(kinds.some((e: { kind: string }) => e.kind === 'WRITE')).toBe(true);
      expect(kinds.filter((e: { kind: string }) => e.kind === 'STATUS').at(-1).status).toBe(batch.status);
    }
  });

  it("picks up the ledger's submissions it does not watch yet (another replica's, a restart's)", async () => {
    h = await startHarness({ seed: 33, batchCount: 30, env: FAST_BACKGROUND });
    const running = h.sims.reach.control.idsByState().running!.slice(0, 2);
    const ledger = h.running.ledger!;
    for (const providerBatchId of running) {
      const batch = await h.providers.REACH!.get(providerBatchId);
      ledger.submitted(batch, { scope: 'default', lacks: [] }, { subject: 'elsewhere', tenant: null });
    }
    await ledger.flushNow();
    const harness = h;
    await until(() => harness.hub.stats().backgroundWatches === 2, 5_000, 'the scan to pick them up');
    await until(
      async () => {
        harness.clock.advance(10_000);
        for (const id of running)
          if (!(await ledger.reading({ provider: 'REACH', scope: 'default', providerBatchId: id }))?.terminal)
            return false;
        return true;
      },
      20_000,
      'both read finished',
    );
  });

  it('watches no more than WATCH_BACKGROUND_MAX; a running batch beyond is UNKNOWN and counted', async () => {
    h = await startHarness({ seed: 34, batchCount: 30, env: { ...FAST_BACKGROUND, WATCH_BACKGROUND_MAX: '1' } });
    await submit(h, 'submitFactCheckBatch');
    const second = await submit(h, 'submitGameballBatch');
    expect(h.hub.stats().backgroundWatches).toBe(1);
    expect(await metrics(h.url)).toMatch(/^batchql_background_refused_total 1$/m);
    const harness = h;
    // The second is not watched: once it runs, nobody judges it.
    await until(
      async () => {
        harness.clock.advance(1_000);
        const r = await harness.gql(`query($id: ID!) { node(id: $id) { ... on Batch { status health } } }`, {
          id: second,
        });
        return r.data?.node?.status === 'RUNNING' && r.data.node.health === 'UNKNOWN';
      },
      10_000,
      'the unwatched batch running with health UNKNOWN',
    );
  });

  it("reads nothing of its own while a subscriber's loop reads the batch, and ends with it", async () => {
    h = await startHarness({
      seed: 35,
      batchCount: 30,
      sims: { profile: 'longRunning' },
      env: { ...FAST_BACKGROUND, LIVE_POLL_BACKGROUND_MS: '40' },
    });
    const [watched, alone] = h.sims.reach.control.idsByState().running!;
    const reads = (id: string) => h!.sims.reach.control.requests().filter((r) => r.path.endsWith(`/${id}`)).length;
    // Both batches have a subscriber; only the first is also watched in the background, at the same pace.
    const ledger = h.running.ledger!;
    ledger.submitted(
      await h.providers.REACH!.get(watched!),
      { scope: 'default', lacks: [] },
      {
        subject: null,
        tenant: null,
      },
    );
    await ledger.flushNow();
    const harness = h;
    await until(() => harness.hub.stats().backgroundWatches === 1, 5_000, 'the background watch');
    const client = sseClient(h.url);
    try {
      const subs = [watched!, alone!].map((id) =>
        subscribe(client, `subscription ($id: ID!) { batch(id: $id) { status } }`, { id: toGlobalId('REACH', id) }),
      );
      await Promise.all(subs.map((s) => s.waitForEvents(1)));
      h.resetCounters();
      await new Promise((r) => setTimeout(r, 2_000));
      // One loop reads each: the watched batch is read about as often as the other, not twice as often.
      expect(reads(watched!)).toBeLessThan(reads(alone!) * 1.4);
      expect(reads(alone!)).toBeGreaterThan(10);
      // It finishes: the background watch ends with the subscriber's stream.
      await until(
        () => {
          harness.clock.advance(60_000);
          return harness.hub.stats().backgroundWatches === 0;
        },
        10_000,
        'the background watch to end with the batch',
      );
      for (const s of subs) s.close();
    } finally {
      await client.dispose();
    }
  });
});
