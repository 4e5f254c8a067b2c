import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toGlobalId } from '../../src/domain/global-id.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { sseClient, subscribe, wsClient, type LiveSubscription } from '../helpers/live-clients.js';
import { until } from '../helpers/until.js';
import { JWT_TEST_ENV, bearer } from '../helpers/auth.js';

/**
 * Live capacity is shared fairly: each client (JWT subject) holds at most its own share of
 * watched batches; `batches(ids:)` reports every id, failures included; ids are canonical.
 */
let h: Harness;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const bearerFor = (subject: string, tenant = 'tenant-a') => bearer({ subject, tenant });

/** Settled: an event arrived or the subscription ended. */
const settled = (subs: LiveSubscription[]) =>
  until(() => subs.every((s) => s.events.length > 0 || s.isEnded()), 10_000, 'every subscription answered');
const refusedBy = (s: LiveSubscription, limit: string) =>
  JSON.stringify(s.errors).includes('TOO_MANY_SUBSCRIPTIONS') && JSON.stringify(s.errors).includes(limit);

const MANY =
  'subscription($ids: [ID!]!) { batches(ids: $ids) { ' +
  'id error { code message provider } batch { providerBatchId isTerminal } } }';

beforeAll(async () => {
  h = await startHarness({
    seed: 23,
    batchCount: 200,
    env: {
      ...JWT_TEST_ENV,
      LIVE_MAX_SUBSCRIPTIONS: '40',
      LIVE_MAX_SUBSCRIPTIONS_PER_CLIENT: '20',
    },
  });
});
afterAll(() => h?.close());

describe('a fair share of live capacity', () => {
  it('stops one client at its share, so another client still gets in', async () => {
    const running = h.sims.factCheck.control
      .idsByState()
      .running!.slice(0, 5)
      .map((id) => toGlobalId('FACT_CHECK', id));
    expect(running).toHaveLength(5);
    // Client A: two sockets, eight streams of the same five ids: 40 slots wanted, the whole gateway.
    const a = [
      wsClient(h.url, { authorization: await bearerFor('user-a') }),
      wsClient(h.url, { authorization: await bearerFor('user-a') }),
    ];
    const subsA = Array.from({ length: 8 }, (_, i) => subscribe(a[i % 2]!, MANY, { ids: running }));
    await settled(subsA);
    const admitted = subsA.filter((s) => s.errors.length === 0);
    const refused = subsA.filter((s) => refusedBy(s, 'LIVE_MAX_SUBSCRIPTIONS_PER_CLIENT'));
    // Duplicate streams still cost slots: 4 streams × 5 ids fill the share of 20.
    expect(admitted).toHaveLength(4);
    expect(refused).toHaveLength(4);
    expect(h.running.live.shares.of('sub:user-a')).toBe(20);

    // Client B, another subject, is served.
    const b = subscribe(sseClient(h.url, { authorization: await bearerFor('user-b') }), MANY, { ids: running });
    await settled([b]);
    expect(b.errors).toEqual([]);
    expect(b.events.length).toBeGreaterThan(0);

    // Leaving gives the slots back: A can subscribe again.
    admitted[0]!.close();
    await until(() => h.running.live.shares.of('sub:user-a') === 15, 2_000, 'share released');
    const again = subscribe(a[0]!, MANY, { ids: running });
    await settled([again]);
    expect(again.errors).toEqual([]);

    for (const s of [...subsA, b, again]) s.close();
    await Promise.all(a.map((c) => c.dispose()));
    await until(() => h.hub.stats().subscribers === 0, 2_000, 'all released');
    expect(h.running.live.shares.of('sub:user-a')).toBe(0);
    expect(h.running.live.shares.of('sub:user-b')).toBe(0);
  });

  it('names the gateway-wide limit when that one is hit', async () => {
    const running = h.sims.factCheck.control
      .idsByState()
      .running!.slice(0, 20)
      .map((id) => toGlobalId('FACT_CHECK', id));
    const subs = [];
    for (const user of ['u1', 'u2'])
      subs.push(subscribe(sseClient(h.url, { authorization: await bearerFor(user) }), MANY, { ids: running }));
    await settled(subs);
    const third = subscribe(sseClient(h.url, { authorization: await bearerFor('u3') }), MANY, {
      ids: running.slice(0, 1),
    });
    await settled([third]);
    expect(refusedBy(third, '(LIVE_MAX_SUBSCRIPTIONS)')).toBe(true);
    for (const s of [...subs, third]) s.close();
    await until(() => h.hub.stats().subscribers === 0, 2_000, 'all released');
  });
});

describe('batches(ids:) reports every id', () => {
  it('tells which ids failed and why, goes on for the others, and completes when all are settled', async () => {
    // tenant-b's Reach batch, found through tenant-b's own list.
    const listed = await h.gql('{ reachBatches(first: 5) { edges { node { providerBatchId } } } }', undefined, {
      authorization: await bearerFor('user-b', 'tenant-b'),
    });
    const otherTenants = listed.data.reachBatches.edges[0].node.providerBatchId as string;
    const missing = toGlobalId('FACT_CHECK', 'batch_000000000000');
    const foreign = toGlobalId('REACH', otherTenants);
    const goodId = h.sims.factCheck.control.idsByState().running![7]!;
    const good = toGlobalId('FACT_CHECK', goodId);
    const sub = subscribe(sseClient(h.url, { authorization: await bearerFor('user-c') }), MANY, {
      ids: [missing, foreign, good],
    });
    await until(
      () => sub.events.filter((e) => e.batches.error).length === 2 && sub.events.some((e) => e.batches.batch),
      5_000,
      'two failures and a state',
    );
    const failures = Object.fromEntries(
      sub.events.filter((e) => e.batches.error).map((e) => [e.batches.id, e.batches.error]),
    );
    expect(failures[missing]).toMatchObject({ code: 'NOT_FOUND', provider: 'FACT_CHECK' });
    expect(failures[foreign]).toMatchObject({ code: 'NOT_FOUND', provider: 'REACH' });
    expect(sub.events.find((e) => e.batches.batch)!.batches).toMatchObject({
      id: good,
      error: null,
      batch: { providerBatchId: goodId },
    });
    // Failing ids do not end the stream while the good one still runs.
    await sleep(200);
    expect(sub.isEnded()).toBe(false);
    for (let i = 0; i < 400 && !sub.isEnded(); i++) {
      h.clock.advance(10_000);
      await sleep(15);
    }
    await sub.ended;
    expect(sub.errors).toEqual([]);
    expect(sub.events.at(-1).batches).toMatchObject({ id: good, batch: { isTerminal: true } });
  });

  it('still refuses a malformed id or an unconfigured provider at subscribe time', async () => {
    const sub = subscribe(sseClient(h.url, { authorization: await bearerFor('user-c') }), MANY, {
      ids: ['not-an-id', toGlobalId('FACT_CHECK', 'batch_000000000001')],
    });
    await sub.ended;
    expect(JSON.stringify(sub.errors)).toContain('BAD_USER_INPUT');
    expect(sub.events).toEqual([]);
  });
});

describe('canonical ids', () => {
  it('watches two encodings of one batch once, in one slot, and reports the canonical id', async () => {
    const id = h.sims.factCheck.control.idsByState().running![9]!;
    const canonical = toGlobalId('FACT_CHECK', id);
    const padded = `${canonical}=`;
    const sub = subscribe(sseClient(h.url, { authorization: await bearerFor('user-d') }), MANY, {
      ids: [padded, canonical],
    });
    await sub.waitForEvents(1);
    expect(h.hub.stats().subscribers).toBe(1);
    expect(h.running.live.shares.of('sub:user-d')).toBe(1);
    const published = h.hub.stats().published;
    h.clock.advance(5_000);
    await until(() => h.hub.stats().published - published >= 3, 2_000, 'more readings');
    // Counts moved, nothing this selection has: one event, under the canonical id (events on change).
    expect(sub.events.map((e) => e.batches.id)).toEqual([canonical]);
    sub.close();
    await until(() => h.hub.stats().subscribers === 0, 2_000, 'released');
  });
});
