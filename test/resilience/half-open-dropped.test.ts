import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { toGlobalId } from '../../src/domain/global-id.js';
import { startHarness, type Harness } from '../helpers/harness.js';

/**
 * Issue 23, part 6: a call whose clients have all left is never sent, whatever state the breaker is
 * in. cockatiel 3 runs the calls that waited for the half-open probe again without their signal
 * (`policy.ts`, `withCallSignal`); this test stays when cockatiel 4 replaces the workaround. Through
 * the real gateway and HTTP client: Reach's breaker is opened by a failing simulator, clients wait for
 * the half-open probe and leave, and the simulator's request log shows what was sent.
 */
let h: Harness;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const metrics = async () => (await fetch(h.url.replace(/\/graphql$/, '/metrics'))).text();
const counter = (text: string, series: string): number => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
};
const DROPPED = 'batchql_upstream_dropped_total{provider="REACH"}';
const ABORTED = 'batchql_upstream_requests_total{provider="REACH",outcome="aborted"}';
// fresh: finished batches are the ledger's otherwise, and every read here is meant to reach Reach.
const node = (id: string) => `{ node(id: "${toGlobalId('REACH', id)}", fresh: true) { id } }`;
const sentFor = (id: string) => h.sims.reach.control.requests().filter((r) => r.path === `/api/batches/${id}`).length;

async function until(condition: () => boolean, ms = 3_000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(5);
  }
}

beforeAll(async () => {
  h = await startHarness({
    seed: 23,
    batchCount: 60,
    env: {
      // No retries, a breaker that opens after 2 failures and probes after 300 ms, one call in flight.
      UPSTREAM_RETRIES: '0',
      UPSTREAM_BREAKER_THRESHOLD: '2',
      UPSTREAM_BREAKER_HALF_OPEN_MS: '300',
      UPSTREAM_MAX_CONCURRENT: '1',
      UPSTREAM_MAX_QUEUED: '100',
    },
  });
});
afterAll(() => h?.close());
beforeEach(() => h.resetCounters());

/** Opens Reach's breaker: two failed reads, then a third fails fast without a call. */
async function openReachBreaker(ids: Record<string, string[]>): Promise<void> {
  h.sims.reach.control.setFault({ kind: 'http5xx', status: 503 });
  for (const id of ids.failed!.slice(0, 2)) expect((await h.gql(node(id))).errors).toBeDefined();
  expect(h.providers.REACH!.circuit!()).toBe('OPEN');
  const failFast = await h.gql(node(ids.failed![2]!));
  expect(failFast.errors?.[0]?.extensions).toMatchObject({ code: 'PROVIDER_UNAVAILABLE' });
  expect(h.sims.reach.control.totalRequests()).toBe(2);
  h.resetCounters();
}

/** A client that may leave: its request, and how it ended. */
function leavingClient(id: string): { controller: AbortController; done: Promise<'answered' | 'left'> } {
  const controller = new AbortController();
  const done = fetch(h.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: node(id) }),
    signal: controller.signal,
  }).then(
    () => 'answered' as const,
    () => 'left' as const,
  );
  return { controller, done };
}

/** Once the breaker's wait is over, Reach answers again, slowly: the probe read (of `probeId`) takes 400 ms. */
async function startProbe(probeId: string) {
  h.sims.reach.control.addFault({ kind: 'slow', delayMs: 400, pathPrefix: `/api/batches/${probeId}` });
  await sleep(350);
  const probe = h.gql(node(probeId));
  await until(() => sentFor(probeId) === 1);
  expect(h.providers.REACH!.circuit!()).toBe('HALF_OPEN');
  return probe;
}

describe("Reach's breaker turning half-open", () => {
  it.each([
    ['while the probe runs (the breaker half-open)', 'during'],
    ['right after the probe answered (the breaker closed again, their calls queued behind another)', 'after'],
  ])('sends nothing for clients that left %s, and counts them as dropped', async (_, when) => {
    const ids = h.sims.reach.control.idsByState();
    const [probeId, hogId] = ids.done!;
    const leaving = [...ids.running!, ...ids.queued!].slice(0, 6);
    expect(leaving).toHaveLength(6);
    const before = await metrics();
    await openReachBreaker(ids);

    // The first call after the probe holds the one slot for 1.2 s.
    h.sims.reach.control.addFault({ kind: 'slow', delayMs: 1_200, pathPrefix: `/api/batches/${hogId}` });
    const probe = await startProbe(probeId!);
    // A client that stays, then six that will leave: all wait for the probe.
    const hog = h.gql(node(hogId!));
    await sleep(50);
    const clients = leaving.map(leavingClient);
    await sleep(100);
    expect(leaving.map(sentFor)).toEqual([0, 0, 0, 0, 0, 0]);

    if (when === 'during') {
      for (const c of clients) c.controller.abort();
      expect(await Promise.all(clients.map((c) => c.done))).toEqual(Array(6).fill('left'));
      expect((await probe).errors).toBeUndefined();
    } else {
      // The probe has answered: the breaker closed and ran the waiting calls again; the hog holds the slot.
      expect((await probe).errors).toBeUndefined();
      expect(h.providers.REACH!.circuit!()).toBe('CLOSED');
      for (const c of clients) c.controller.abort();
      expect(await Promise.all(clients.map((c) => c.done))).toEqual(Array(6).fill('left'));
    }
    expect((await hog).errors).toBeUndefined();
    // Whatever was still queued has had its turn.
    await sleep(300);

    expect(leaving.map(sentFor)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(h.sims.reach.control.totalRequests()).toBe(2);
    const after = await metrics();
    expect(counter(after, DROPPED) - counter(before, DROPPED)).toBe(6);
    // Each is still one call in batchql_upstream_requests_total: its client left.
    expect(counter(after, ABORTED) - counter(before, ABORTED)).toBe(6);
    expect(h.providers.REACH!.circuit!()).toBe('CLOSED');
  });

  it('still cuts off a call run again after the probe when its client leaves: its slot goes to the next', async () => {
    const ids = h.sims.reach.control.idsByState();
    const [probeId, slowId, nextId] = ids.done!;
    await openReachBreaker(ids);
    // The first call after the probe would hold the one slot for 2 s.
    h.sims.reach.control.addFault({ kind: 'slow', delayMs: 2_000, pathPrefix: `/api/batches/${slowId}` });
    const probe = await startProbe(probeId!);
    const leaver = leavingClient(slowId!);
    await sleep(50);
    const next = h.gql(node(nextId!));
    await sleep(100);
    expect((await probe).errors).toBeUndefined();
    // The leaver's call went out (its client was still there); the next one waits for the slot.
    await until(() => sentFor(slowId!) === 1);
    expect(sentFor(nextId!)).toBe(0);
    const left = Date.now();
    leaver.controller.abort();
    expect(await leaver.done).toBe('left');
    // Its request is aborted at once (it was run again with its own signal), so the next gets the slot.
    expect((await next).errors).toBeUndefined();
    expect(Date.now() - left).toBeLessThan(1_000);
    expect(sentFor(nextId!)).toBe(1);
  });
});
