import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { toGlobalId } from '../../src/domain/global-id.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { sseClient, subscribe, wsClient, type LiveSubscription } from '../helpers/live-clients.js';
import { until } from '../helpers/until.js';

/** Subscriptions end to end: SSE and WebSocket clients, the shared poll hub, the simulators' counters. */
let h: Harness;
beforeAll(async () => {
  // These tests pin the per-batch poll loop (Gameball, Reach, and Check with LIVE_BULK_REFRESH=false);
  // Check's bulk refresh through its list has its own tests (bulk-refresh.test.ts).
  h = await startHarness({ seed: 21, batchCount: 120, env: { LIVE_BULK_REFRESH: 'false' } });
});
afterAll(() => h.close());
beforeEach(() => h.resetCounters());

const WATCH = /* GraphQL */ `
  subscription W($id: ID!) {
    batch(id: $id) {
      providerBatchId
      status
      isTerminal
      stale
      progress {
        processed
        total
        percent
        ratePerSecond
        estimatedCompletionAt
      }
    }
  }
`;

const gets = (sim: Harness['sims']['factCheck'], id: string) =>
  sim.control.requests().filter((r) => r.method === 'GET' && r.path.endsWith(id)).length;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Moves the simulators' clock forward until every subscription ended (or gives up). */
async function driveToEnd(subs: LiveSubscription[], stepMs: number, maxSteps = 400): Promise<void> {
  for (let i = 0; i < maxSteps && subs.some((s) => !s.isEnded()); i++) {
    h.clock.advance(stepMs);
    await sleep(15);
  }
}

describe.each([
  ['SSE', () => sseClient(h.url)],
  ['WebSocket', () => wsClient(h.url)],
] as const)('over %s', (transport, makeClient) => {
  it('200 subscribers share one poll per tick, and the loop stops within 100 ms after the last leaves', async () => {
    const id = h.sims.factCheck.control.idsByState().running![transport === 'SSE' ? 0 : 1]!;
    const pollsAtStart = h.hub.stats().polls;
    // Four connections of 50 (a WebSocket multiplexes; SSE opens one stream per subscription anyway).
    const clients = Array.from({ length: 4 }, () => makeClient());
    const subs = Array.from({ length: 200 }, (_, i) =>
      subscribe(clients[i % 4]!, WATCH, { id: toGlobalId('FACT_CHECK', id) }),
    );
    await Promise.all(subs.map((s) => s.waitForEvents(1)));
    for (const s of subs) expect(s.errors).toEqual([]);
    expect(h.hub.stats()).toMatchObject({ watchedKeys: 1, pollingKeys: 1, subscribers: 200 });

    // Let progress move for a while: every subscriber sees the same states.
    const pollsBefore = h.hub.stats().polls;
    const getsBefore = gets(h.sims.factCheck, id);
    for (let i = 0; i < 10; i++) {
      h.clock.advance(1_000);
      await sleep(60);
    }
    await until(() => subs.every((s) => s.events.length === subs[0]!.events.length), 2_000, 'subscribers in step');
    const ticks = h.hub.stats().polls - pollsBefore;
    expect(gets(h.sims.factCheck, id) - getsBefore).toBeGreaterThan(0);
    expect(ticks).toBeGreaterThan(0);
    expect(ticks).toBeLessThan(40);
    const first = JSON.stringify(subs[0]!.events.map((e) => e.batch.progress.processed));
    for (const s of subs) expect(JSON.stringify(s.events.map((e) => e.batch.progress.processed))).toBe(first);
    expect(subs[0]!.events.length).toBeGreaterThan(1);

    for (const s of subs) s.close();
    await until(() => h.hub.stats().watchedKeys === 0 && h.hub.stats().pollingKeys === 0, 100, 'poll loop stopped');
    // The in-flight request was aborted; give one that was already on the wire time to land.
    await sleep(50);
    const after = gets(h.sims.factCheck, id);
    await sleep(300);
    expect(gets(h.sims.factCheck, id)).toBe(after);
    // One upstream GET per poll tick over the whole life of the loop, whatever the number of
    // subscribers (the last, aborted poll may not have reached the simulator).
    const polls = h.hub.stats().polls - pollsAtStart;
    expect(after).toBeGreaterThanOrEqual(polls - 1);
    expect(after).toBeLessThanOrEqual(polls);
  });
});

describe('limits', () => {
  it('refuses the subscription beyond the per-connection cap on a WebSocket', async () => {
    const id = h.sims.factCheck.control.idsByState().running![4]!;
    const client = wsClient(h.url);
    const subs = Array.from({ length: 101 }, () => subscribe(client, WATCH, { id: toGlobalId('FACT_CHECK', id) }));
    await Promise.all(subs.map((s) => s.waitForEvents(1)));
    const refused = subs.filter((s) => JSON.stringify(s.errors).includes('TOO_MANY_SUBSCRIPTIONS'));
    expect(refused).toHaveLength(1);
    expect(subs.filter((s) => s.events.length > 0)).toHaveLength(100);
    for (const s of subs) s.close();
    await client.dispose();
    await until(() => h.hub.stats().watchedKeys === 0, 100, 'watch released');
  });
});

describe('a batch watched to the end', () => {
  it('sends increasing progress, survives an outage without ending or repeating, and completes', async () => {
    const id = h.sims.reach.control.idsByState().running![0]!;
    const sub = subscribe(sseClient(h.url), WATCH, { id: toGlobalId('REACH', id) });
    await sub.waitForEvents(1);
    h.clock.advance(5_000);
    await sub.waitForEvents(2);

    // Outage: every Reach request fails for a while; the stream goes stale but stays open.
    h.sims.reach.control.setFault({ kind: 'http5xx', status: 503 });
    await until(() => sub.events.some((e) => e.batch.stale), 3_000, 'a stale event');
    const staleAt = sub.events.length;
    h.clock.advance(5_000);
    await sleep(300);
    expect(sub.isEnded()).toBe(false);
    expect(sub.events.length).toBe(staleAt);
    h.sims.reach.control.clearFaults();
    await until(() => sub.events.length > staleAt && !sub.events.at(-1)!.batch.stale, 3_000, 'recovery');

    await driveToEnd([sub], 10_000);
    await sub.ended;
    expect(sub.errors).toEqual([]);
    const states = sub.events.map((e) => e.batch);
    expect(states.at(-1)).toMatchObject({ isTerminal: true, stale: false });
    expect(['SUCCEEDED', 'PARTIALLY_SUCCEEDED']).toContain(states.at(-1).status);
    for (let i = 1; i < states.length; i++) {
      expect(states[i].progress.processed).toBeGreaterThanOrEqual(states[i - 1].progress.processed);
      // Only changes are sent: no two consecutive events are the same result.
      expect(states[i]).not.toEqual(states[i - 1]);
    }
    expect(states.filter((s: any) => s.stale)).toHaveLength(1);
    expect(states.some((s: any) => s.progress.ratePerSecond !== null)).toBe(true);
    await until(() => h.hub.stats().watchedKeys === 0, 1_000, 'watch released');
  });

  it('watches several batches on one stream and completes when all are terminal', async () => {
    const a = h.sims.factCheck.control.idsByState().running![2]!;
    const b = h.sims.gameball.control.idsByState().running![0]!;
    const sub = subscribe(
      wsClient(h.url),
      'subscription($ids: [ID!]!) { batches(ids: $ids) { ' +
        'id error { code } batch { providerBatchId provider isTerminal } } }',
      {
        ids: [toGlobalId('FACT_CHECK', a), toGlobalId('GAMEBALL', b), toGlobalId('FACT_CHECK', a)],
      },
    );
    await sub.waitForEvents(2);
    await driveToEnd([sub], 10_000);
    await sub.ended;
    expect(sub.events.every((e) => e.batches.error === null)).toBe(true);
    const seen = new Set(sub.events.map((e) => e.batches.batch.providerBatchId));
    expect(seen).toEqual(new Set([a, b]));
    expect(new Set(sub.events.map((e) => e.batches.id))).toEqual(
      new Set([toGlobalId('FACT_CHECK', a), toGlobalId('GAMEBALL', b)]),
    );
    expect(
      sub.events
        .filter((e) => e.batches.batch.isTerminal)
        .map((e) => e.batches.batch.providerBatchId)
        .sort(),
    ).toEqual([a, b].sort());
  });

  it('keeps watching a finished Reach batch while its pending records wait, until they expire', async () => {
    // Back to the data set's start: earlier tests moved the clock past many expiries.
    h.clock.set(Date.parse('2026-11-01T12:00:00Z'));
    const pending = h.sims.reach.control.idsByState().pending!;
    expect(pending.length).toBeGreaterThan(0);
    // The data set gives some pending records a short expiry (minutes) and others hours: take the soonest.
    const id = pending[0]!;
    const sub = subscribe(
      sseClient(h.url),
      `subscription($id: ID!) { batch(id: $id) { status isTerminal ... on ReachBatch { pendingRecords } } }`,
      { id: toGlobalId('REACH', id) },
    );
    await sub.waitForEvents(1);
    const first = sub.events[0].batch;
    expect(['SUCCEEDED', 'PARTIALLY_SUCCEEDED']).toContain(first.status);
    expect(first.pendingRecords).toBeGreaterThan(0);
    expect(first.isTerminal).toBe(false);
    await sleep(300);
    expect(sub.isEnded()).toBe(false);
    // A day later every pending record has expired (failed): the batch is terminal and the stream ends.
    h.clock.advance(86_400_000);
    await sub.ended;
    const last = sub.events.at(-1).batch;
    expect(last).toMatchObject({ isTerminal: true, pendingRecords: 0 });
    expect(sub.errors).toEqual([]);
    h.clock.set(Date.parse('2026-11-01T12:00:00Z'));
  });

  it('sends a finished batch once and completes', async () => {
    const id = h.sims.factCheck.control.idsByState().done![0]!;
    const sub = subscribe(sseClient(h.url), WATCH, { id: toGlobalId('FACT_CHECK', id) });
    await sub.ended;
    expect(sub.events).toHaveLength(1);
    expect(sub.events[0].batch.isTerminal).toBe(true);
    expect(gets(h.sims.factCheck, id)).toBe(1);
  });
});

describe('bad input and slow consumers', () => {
  it.each([
    ['a malformed id', 'not-an-id', 'BAD_USER_INPUT'],
    ['an unknown batch', toGlobalId('FACT_CHECK', 'batch_000000000000'), 'NOT_FOUND'],
  ])('ends with an error for %s', async (_, id, code) => {
    const sub = subscribe(sseClient(h.url), WATCH, { id });
    await sub.ended;
    expect(JSON.stringify(sub.errors)).toContain(code);
    expect(sub.events).toEqual([]);
  });

  it('keeps at most one pending state for a subscriber that does not read', async () => {
    const id = h.sims.factCheck.control.idsByState().running![3]!;
    const stream = h.hub.watch({
      provider: 'FACT_CHECK',
      providerBatchId: id,
      includePendingDetails: false,
      scope: 'default',
    });
    for (let i = 0; i < 30; i++) {
      h.clock.advance(2_000);
      await sleep(50);
      expect(stream.buffered).toBeLessThanOrEqual(1);
    }
    expect(stream.dropped).toBeGreaterThan(5);
    const latest = await stream.next();
    expect(latest.done).toBe(false);
    await stream.return();
    await until(() => h.hub.stats().watchedKeys === 0, 100, 'watch released');
  });
});

describe('events on change', () => {
  it('sends a status-only subscriber one event while only the counts move, and keepalives meanwhile', async () => {
    const id = h.sims.factCheck.control.idsByState().running![5]!;
    const gid = toGlobalId('FACT_CHECK', id);
    const client = sseClient(h.url);
    const quiet = subscribe(client, 'subscription($id: ID!) { batch(id: $id) { status } }', { id: gid });
    const counts = subscribe(client, 'subscription($id: ID!) { batch(id: $id) { status progress { processed } } }', {
      id: gid,
    });
    const readings = subscribe(client, 'subscription($id: ID!) { batch(id: $id) { status observedAt } }', { id: gid });
    // The keepalives of a quiet SSE stream, read raw (yoga's `:` comments; every 300 ms under test, 12 s otherwise).
    const raw = await fetch(h.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ query: 'subscription($id: ID!) { batch(id: $id) { status } }', variables: { id: gid } }),
    });
    const reader = raw.body!.getReader();
    let text = '';
    const reading = (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        text += new TextDecoder().decode(value);
      }
    })();
    await Promise.all([quiet, counts, readings].map((s) => s.waitForEvents(1)));
    const publishedBefore = h.hub.stats().published;
    // A few readings with progress (a little clock each: the batch stays RUNNING), a few without any.
    for (let i = 0; i < 6; i++) {
      h.clock.advance(i < 3 ? 500 : 0);
      await sleep(250);
    }
    await until(() => counts.events.length > 1, 2_000, 'a progress event');
    expect(h.hub.stats().published - publishedBefore).toBeGreaterThan(3);
    expect(quiet.events.map((e) => e.batch.status)).toEqual(['RUNNING']);
    for (let i = 1; i < counts.events.length; i++) expect(counts.events[i]).not.toEqual(counts.events[i - 1]);
    // Every reading is an event for a selection with `observedAt`, clock moving or not.
    expect(readings.events.length).toBeGreaterThan(3);
    expect(new Set(readings.events.map((e) => e.batch.observedAt)).size).toBe(readings.events.length);
    const events = text.split('\n\n').filter((m) => m.startsWith('event: next'));
    expect(events).toHaveLength(1);
    expect(text.split('\n\n').filter((m) => m === ':').length).toBeGreaterThan(3);
    await reader.cancel();
    await reading.catch(() => {});
    for (const s of [quiet, counts, readings]) s.close();
    await until(() => h.hub.stats().watchedKeys === 0, 1_000, 'watch released');
  });

  it('keeps a quiet WebSocket subscription alive with pings (every 12 s), not repeated events', async () => {
    const id = h.sims.factCheck.control.idsByState().running![6]!;
    const socket = new WebSocket(h.url.replace(/^http/, 'ws'), 'graphql-transport-ws');
    const messages: { type: string }[] = [];
    let pings = 0;
    socket.on('ping', () => pings++);
    socket.on('message', (data) => messages.push(JSON.parse(String(data)) as { type: string }));
    await new Promise((resolve) => socket.once('open', resolve));
    socket.send(JSON.stringify({ type: 'connection_init' }));
    await until(() => messages.some((m) => m.type === 'connection_ack'), 2_000, 'ack');
    socket.send(
      JSON.stringify({
        id: '1',
        type: 'subscribe',
        payload: {
          query: 'subscription($id: ID!) { batch(id: $id) { status } }',
          variables: { id: toGlobalId('FACT_CHECK', id) },
        },
      }),
    );
    const published = h.hub.stats().published;
    await until(() => pings > 0, 14_000, 'a ping');
    // Many readings (every 40 to 200 ms here), one event: the status never changed.
    expect(h.hub.stats().published - published).toBeGreaterThan(10);
    expect(messages.filter((m) => m.type === 'next')).toHaveLength(1);
    socket.close();
    await until(() => h.hub.stats().watchedKeys === 0, 1_000, 'watch released');
  }, 20_000);

  it('sends the stale mark and its end to a subscriber that selected `stale`', async () => {
    const id = h.sims.reach.control.idsByState().running![1]!;
    const sub = subscribe(wsClient(h.url), 'subscription($id: ID!) { batch(id: $id) { status stale staleReason } }', {
      id: toGlobalId('REACH', id),
    });
    await sub.waitForEvents(1);
    expect(sub.events[0].batch).toEqual({ status: 'RUNNING', stale: false, staleReason: null });
    h.sims.reach.control.setFault({ kind: 'http5xx', status: 503 });
    await until(() => sub.events.length === 2, 3_000, 'the stale mark');
    expect(sub.events[1].batch).toEqual({ status: 'RUNNING', stale: true, staleReason: 'POLL_FAILED' });
    h.sims.reach.control.clearFaults();
    await until(() => sub.events.length === 3, 3_000, 'the mark cleared');
    expect(sub.events[2].batch).toEqual({ status: 'RUNNING', stale: false, staleReason: null });
    await sleep(300);
    expect(sub.events).toHaveLength(3);
    sub.close();
    await until(() => h.hub.stats().watchedKeys === 0, 1_000, 'watch released');
  });

  it('compares a `batches` stream per id', async () => {
    const [a, b] = h.sims.gameball.control.idsByState().running!;
    // No `id` selected: both batches' results are the same text, yet each is sent once.
    const sub = subscribe(wsClient(h.url), 'subscription($ids: [ID!]!) { batches(ids: $ids) { batch { status } } }', {
      ids: [toGlobalId('GAMEBALL', a!), toGlobalId('GAMEBALL', b!)],
    });
    await sub.waitForEvents(2);
    await sleep(400);
    expect(sub.events).toEqual([
      { batches: { batch: { status: 'RUNNING' } } },
      { batches: { batch: { status: 'RUNNING' } } },
    ]);
    sub.close();
    await until(() => h.hub.stats().watchedKeys === 0, 1_000, 'watch released');
  });
});
